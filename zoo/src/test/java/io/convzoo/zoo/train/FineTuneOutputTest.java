package io.convzoo.zoo.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import io.convzoo.blocks.TestSupport;
import io.convzoo.blocks.dynamic.DynamicConv2d;
import io.convzoo.zoo.Datasets;
import io.convzoo.zoo.ModelRegistry;
import io.convzoo.zoo.ModelSpec;
import io.convzoo.zoo.djl.ConvZooModelLoader;
import io.convzoo.zoo.djl.LocalRoot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A finetune output directory loads back and exports as zoo weights that the pretrained lookup serves. */
class FineTuneOutputTest {

    @Test
    void exportedWeightsLoadAsThePretrainedArtifact(@TempDir Path tmp) throws Exception {
        ModelSpec spec = ModelRegistry.get("pyconvresnet_small");
        Path run = tmp.resolve("run");
        float[] expected;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = TestSupport.random(m, new Shape(2, 1, 28, 28), 9);
            try (Model trained = writeUntrainedRun(spec, run)) {
                expected = TestSupport.infer(trained.getBlock(), m, x).head().toFloatArray();
            }

            assertTrue(FineTuneOutput.isOutputDirectory(run));
            try (Model loaded = FineTuneOutput.load(run)) {
                assertArrayEquals(expected, TestSupport.infer(loaded.getBlock(), m, x).head().toFloatArray(), 1e-6f);
            }

            Path root = tmp.resolve("repo");
            Path weights = FineTuneOutput.exportZooWeights(run, root.resolve(spec.id()).resolve("fashion-mnist"));
            assertTrue(Files.isRegularFile(weights.resolve(spec.id() + "-0000.params")));
            assertEquals(Datasets.FASHION_MNIST_SPEC.classNames(),
                    Files.readAllLines(weights.resolve("synset.txt"), StandardCharsets.UTF_8));
            assertArrayEquals(expected, predictThroughTheZoo(root, spec, x), 1e-5f);
        }
    }

    @Test
    void infoReadsWhatFinetuneWrote(@TempDir Path run) throws Exception {
        Files.writeString(run.resolve(FineTuneOutput.INFO_FILE),
                "{\"model\": \"res2net_small\", \"numClasses\": 3, \"inputChannels\": 1, \"dataset\": \"shapes\","
                        + " \"classNames\": [\"a\", \"b\", \"c\"]}");
        FineTuneOutput.Info info = FineTuneOutput.info(run);
        // An older finetune.json without "normalization": the dataset names the preprocessing.
        assertEquals(new FineTuneOutput.Info("res2net_small", 3, 1, "shapes", "shapes", List.of("a", "b", "c")), info);
        assertTrue(!FineTuneOutput.isOutputDirectory(run), "no model.params yet");
        Files.writeString(run.resolve(FineTuneOutput.INFO_FILE),
                "{\"model\": \"res2net_small\", \"numClasses\": 3, \"inputChannels\": 1, \"dataset\": \"/data/shapes\","
                        + " \"normalization\": \"fashion-mnist\", \"classNames\": [\"a\", \"b\", \"c\"]}");
        assertEquals("fashion-mnist", FineTuneOutput.info(run).normalization());
    }

    @Test
    void theTemperatureARunEndedWithTravelsWithItsWeights(@TempDir Path tmp) throws Exception {
        ModelSpec spec = ModelRegistry.get("dy_resnet_small");
        Engine.getInstance().setRandomSeed(7);
        Path run = tmp.resolve("run");
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = TestSupport.random(m, new Shape(2, 1, 28, 28), 5);
            float[] atEnd;
            float[] atDefault;
            try (Model trained = writeUntrainedRun(spec, run)) {
                atDefault = TestSupport.infer(trained.getBlock(), m, x).head().toFloatArray();
                DynamicConv2d.setTemperatureEverywhere(trained.getBlock(), 6.5f);
                atEnd = TestSupport.infer(trained.getBlock(), m, x).head().toFloatArray();
            }
            Files.writeString(run.resolve("history.json"), "{\"epoch\": [1, 2], \"temperature\": [18.0, 6.5]}");
            assertEquals(6.5, FineTuneOutput.finalTemperature(run).getAsDouble(), 1e-9);
            // Far beyond the 1e-5 tolerance of the comparison below (seeded: 8.7e-5).
            double moved = 0;
            for (int i = 0; i < atEnd.length; i++) {
                moved = Math.max(moved, Math.abs(atEnd[i] - atDefault[i]));
            }
            assertTrue(moved > 5e-5, "the temperature must matter for this check, logits moved " + moved);

            Path root = tmp.resolve("repo");
            Path weights = FineTuneOutput.exportZooWeights(run, root.resolve(spec.id()).resolve("fashion-mnist"));
            assertTrue(Files.readString(weights.resolve("serving.properties")).contains("temperature=6.5\n"));
            assertArrayEquals(atEnd, predictThroughTheZoo(root, spec, x), 1e-5f);
        }
    }

    @Test
    void runsWithoutDynamicConvHaveNoTemperature(@TempDir Path run) throws Exception {
        // history.json of a model without dynamic conv records NaN (Gson's default writer).
        Files.writeString(run.resolve("history.json"), "{\"epoch\": [1], \"temperature\": [NaN]}");
        assertTrue(FineTuneOutput.finalTemperature(run).isEmpty());
        Files.delete(run.resolve("history.json"));
        assertTrue(FineTuneOutput.finalTemperature(run).isEmpty());
    }

    @Test
    void float16ExportHalvesTheFileAndLoadsBackAsFloat32(@TempDir Path tmp) throws Exception {
        ModelSpec spec = ModelRegistry.get("res2net_small");
        Engine.getInstance().setRandomSeed(3);
        Path run = tmp.resolve("run");
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = TestSupport.random(m, new Shape(2, 1, 28, 28), 4);
            float[] expected;
            try (Model trained = writeUntrainedRun(spec, run)) {
                expected = TestSupport.infer(trained.getBlock(), m, x).head().toFloatArray();
            }
            Path full = FineTuneOutput.exportZooWeights(run, tmp.resolve("full"), false);
            Path root = tmp.resolve("repo");
            Path half = FineTuneOutput.exportZooWeights(run, root.resolve(spec.id()).resolve("fashion-mnist"), true);
            long fullBytes = Files.size(full.resolve(spec.id() + "-0000.params"));
            long halfBytes = Files.size(half.resolve(spec.id() + "-0000.params"));
            assertTrue(halfBytes < 0.55 * fullBytes, halfBytes + " vs " + fullBytes + " bytes");
            float[] loaded = predictThroughTheZoo(root, spec, x);
            float worst = 0;
            for (int i = 0; i < expected.length; i++) {
                worst = Math.max(worst, Math.abs(expected[i] - loaded[i]));
            }
            // float16 keeps about 3 significant digits of each weight.
            assertTrue(worst < 2e-2f && worst > 0f, "float16 logits differ by " + worst);
        }
    }


    /**
     * A run directory as {@code finetune} leaves it (model.params and finetune.json) for an untrained
     * {@code spec}; returns that model, which the caller closes.
     */
    private static Model writeUntrainedRun(ModelSpec spec, Path run) throws Exception {
        Files.createDirectories(run);
        Model trained = Model.newInstance(spec.id());
        trained.setBlock(spec.build());
        ConvZooModelLoader.initializeUntrained(trained.getBlock(), trained, spec.defaults(), spec.inputSize());
        FineTuner.saveParameters(trained.getBlock(), run.resolve(FineTuneOutput.PARAMS_FILE));
        Files.writeString(run.resolve(FineTuneOutput.INFO_FILE), "{\"model\": \"" + spec.id()
                + "\", \"numClasses\": 10, \"inputChannels\": 1, \"dataset\": \"fashion-mnist\", \"classNames\": "
                + new com.google.gson.Gson().toJson(Datasets.FASHION_MNIST_SPEC.classNames()) + "}");
        return trained;
    }

    /** Logits of {@code x} from the zoo's pretrained lookup of {@code spec} under repository {@code root}. */
    private static float[] predictThroughTheZoo(Path root, ModelSpec spec, NDArray x) throws Exception {
        try (LocalRoot ignored = LocalRoot.set(root)) {
            Criteria<NDList, NDList> criteria = Criteria.builder().setTypes(NDList.class, NDList.class)
                    .optGroupId("io.convzoo").optArtifactId(spec.id()).optFilter("dataset", "fashion-mnist").build();
            try (ZooModel<NDList, NDList> model = criteria.loadModel();
                 Predictor<NDList, NDList> predictor = model.newPredictor()) {
                return predictor.predict(new NDList(x)).head().toFloatArray();
            }
        }
    }
}
