package io.convzoo.zoo.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import io.convzoo.blocks.TestSupport;
import io.convzoo.zoo.Datasets;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.ModelSpec;
import io.convzoo.zoo.djl.LocalRoot;
import io.convzoo.zoo.djl.PretrainedWeights;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointImporterTest {

    /** ImageNet's preprocessing at the tiny net's 8×8 input. */
    private static final Datasets TINY_IMAGES = new Datasets(Datasets.IMAGENET, 3, 0, 8,
            Datasets.IMAGENET_SPEC.mean(), Datasets.IMAGENET_SPEC.std(), java.util.List.of());

    @Test
    void importedDirectoryLoadsThroughCriteriaAndComputesPyTorchsLogits(@TempDir Path dir) throws Exception {
        StateDict sd = StateDicts.read(Fixtures.file("tiny_nested_legacy.pth.tar"));
        Path out = dir.resolve("tinynet").resolve("imagenet");
        Path params = CheckpointImporter.importTo(TinyNet.build(), "tinynet", sd, out,
                Map.of("blockFactory", TinyNet.class.getName(), "numClasses", "5"), WeightLoaderTest.INPUT,
                UnaryOperator.identity());
        assertEquals(out.resolve("tinynet-0000.params"), params);

        Properties props = new Properties();
        try (Reader r = Files.newBufferedReader(out.resolve("serving.properties"))) {
            props.load(r);
        }
        assertEquals(TinyNet.class.getName(), props.getProperty("blockFactory"));
        assertEquals("io.convzoo.zoo.djl.ConvZooTranslatorFactory", props.getProperty("translatorFactory"));
        assertEquals("tinynet", props.getProperty("option.modelName"));
        assertEquals("tiny_nested_legacy.pth.tar (torch-legacy)", props.getProperty("checkpoint"));

        Criteria<NDList, NDList> criteria = Criteria.builder()
                .setTypes(NDList.class, NDList.class)
                .optModelUrls(out.toUri().toString())
                .build();
        try (ZooModel<NDList, NDList> model = criteria.loadModel();
             Predictor<NDList, NDList> predictor = model.newPredictor();
             NDManager manager = NDManager.newBaseManager()) {
            float[] logits = predictor.predict(new NDList(WeightLoaderTest.input(manager))).head().toFloatArray();
            TestSupport.assertClose(WeightLoaderTest.pytorchLogits(), logits, 1e-4);
        }
    }

    @Test
    void importOfAZooSpecIsFoundAsPretrainedWeightsAndLoadsLikeTheZooDoes(@TempDir Path root) throws Exception {
        ModelSpec spec = new ModelSpec("tinynet", "test", Map.of("dataset", "imagenet"),
                ModelArgs.imagenet().withNumClasses(5), TINY_IMAGES, args -> TinyNet.build());
        Path out = root.resolve("tinynet").resolve("imagenet");
        CheckpointImporter.importTo(spec, spec.defaults(), Fixtures.file("tiny.safetensors"), out);
        Properties props = new Properties();
        try (Reader r = Files.newBufferedReader(out.resolve("serving.properties"))) {
            props.load(r);
        }
        assertEquals("tinynet", props.getProperty("modelId"));
        assertEquals("io.convzoo.zoo.djl.ConvZooBlockFactory", props.getProperty("blockFactory"));
        assertEquals("5", props.getProperty("numClasses"));
        assertEquals("3", props.getProperty("inputChannels"));
        assertEquals("imagenet", props.getProperty("dataset"));

        try (LocalRoot ignored = LocalRoot.set(root)) {
            assertEquals(out, PretrainedWeights.find("tinynet", "imagenet").orElseThrow());
        }
        // What ConvZooModelLoader does with installed weights: build the block, model.load(dir, id).
        try (Model model = Model.newInstance("tinynet");
             NDManager manager = NDManager.newBaseManager()) {
            model.setBlock(spec.build());
            model.load(out, "tinynet");
            float[] logits = TestSupport.infer(model.getBlock(), manager, WeightLoaderTest.input(manager)).head()
                    .toFloatArray();
            TestSupport.assertClose(WeightLoaderTest.pytorchLogits(), logits, 1e-4);
        }
    }

    @Test
    void aCheckpointThatDoesNotFitWritesNothing(@TempDir Path dir) throws IOException {
        StateDict sd = StateDicts.read(Fixtures.file("tiny_zip.pth"));
        Path out = dir.resolve("wrong");
        assertThrows(WeightMappingException.class, () -> CheckpointImporter.importTo(TinyNet.build("features", "conv2", 6, 9),
                "wrong", sd, out, Map.of(), WeightLoaderTest.INPUT, UnaryOperator.identity()));
        assertFalse(Files.exists(out.resolve("wrong-0000.params")));
        assertTrue(!Files.exists(out.resolve("serving.properties")));
    }
}
