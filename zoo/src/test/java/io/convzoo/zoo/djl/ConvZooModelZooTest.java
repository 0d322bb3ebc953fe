package io.convzoo.zoo.djl;

import io.convzoo.blocks.DataflowBlock;
import io.convzoo.blocks.NamedSequential;
import io.convzoo.blocks.script.ScriptedForward;
import io.convzoo.zoo.infer.OnnxRuntimeForward;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Application;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.MRL;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ModelZoo;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslatorContext;
import io.convzoo.blocks.TestSupport;
import io.convzoo.blocks.infer.ConvBn;
import io.convzoo.zoo.ModelRegistry;
import io.convzoo.zoo.ModelSpec;
import io.convzoo.zoo.UnknownModelException;
import io.convzoo.zoo.infer.Inference;
import java.awt.image.BufferedImage;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConvZooModelZooTest {

    @Test
    void zooIsRegisteredAndListsEveryVariant() {
        assertNotNull(ModelZoo.getModelZoo("io.convzoo"), "ZooProvider not found through META-INF/services");
        Map<Application, List<MRL>> models = ModelZoo.listModels();
        Set<String> listed = models.getOrDefault(Application.CV.IMAGE_CLASSIFICATION, List.of()).stream()
                .filter(m -> "io.convzoo".equals(m.getGroupId()))
                .map(MRL::getArtifactId).collect(Collectors.toSet());
        Set<String> registered = ModelRegistry.all().stream().map(ModelSpec::id).collect(Collectors.toSet());
        assertEquals(registered, listed);
        for (String id : List.of("pyconvresnet50", "res2net50_26w_4s", "oct_resnet50", "dy_resnet18",
                "pyconvhgresnet152", "res2net152_v1b_26w_4s", "oct_resnet200", "dy_resnet50")) {
            assertTrue(listed.contains(id), id + " missing from listModels()");
        }
    }

    @Test
    void imageClassificationCriteriaGivesTopFiveOnImagenetPreprocessing() throws Exception {
        Criteria<Image, Classifications> criteria = Criteria.builder()
                .setTypes(Image.class, Classifications.class)
                .optGroupId("io.convzoo")
                .optArtifactId("res2net50_26w_4s")
                .optArgument("pretrained", false)
                .build();
        try (ZooModel<Image, Classifications> model = criteria.loadModel();
             Predictor<Image, Classifications> predictor = model.newPredictor()) {
            // A non-square image: resize 256 on the shorter side, center crop 224 must make it fit.
            BufferedImage picture = new BufferedImage(320, 260, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 260; y++) {
                for (int x = 0; x < 320; x++) {
                    picture.setRGB(x, y, (x * 7 + y * 3) & 0xFFFFFF);
                }
            }
            Classifications result = predictor.predict(ImageFactory.getInstance().fromImage(picture));
            List<Classifications.Classification> top = result.topK(5);
            assertEquals(5, top.size());
            assertEquals(1000, result.getClassNames().size());
            double sum = result.getProbabilities().stream().mapToDouble(Double::doubleValue).sum();
            assertEquals(1.0, sum, 1e-3, "softmax over 1000 classes");
            assertTrue(top.get(0).getProbability() >= top.get(4).getProbability());
        }
    }

    @Test
    void ndListCriteriaHonoursArgumentsAndFilters() throws Exception {
        Criteria<NDList, NDList> criteria = Criteria.builder()
                .setTypes(NDList.class, NDList.class)
                .optGroupId("io.convzoo")
                .optFilter("family", "res2net")
                .optFilter("dataset", "fashion-mnist")
                .optArgument("pretrained", "false")
                .optArgument("numClasses", 7)
                .optArgument("inputChannels", 3)
                .build();
        try (ZooModel<NDList, NDList> model = criteria.loadModel();
             Predictor<NDList, NDList> predictor = model.newPredictor();
             NDManager m = NDManager.newBaseManager()) {
            assertEquals("res2net_small", model.getName());
            NDArray out = predictor.predict(new NDList(TestSupport.random(m, new Shape(2, 3, 32, 32), 3))).head();
            assertEquals(new Shape(2, 7), out.getShape());
        }
    }

    @Test
    void loadedModelsArePreparedForInference() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = TestSupport.random(m, new Shape(4, 3, 28, 28), 5);
            try (ZooModel<NDList, NDList> model = res2netSmall(Map.of());
                 Predictor<NDList, NDList> predictor = model.newPredictor()) {
                float[] onOrt = predictor.predict(new NDList(x)).head().toFloatArray();
                OnnxRuntimeForward ort = (OnnxRuntimeForward) ((DataflowBlock) model.getBlock()).getCompiledForward();
                assertTrue(ort.hasSession(), "the default runtime on CPU is ONNX Runtime");
                assertEquals("onnxruntime", model.getProperty(ConvZooModelLoader.RUNTIME));
                TestSupport.assertClose(onOrt, predictor.predict(new NDList(x)).head().toFloatArray(), 1e-4);
            }
            try (ZooModel<NDList, NDList> model = res2netSmall(Map.of(ConvZooModelLoader.RUNTIME, "libtorch"));
                 Predictor<NDList, NDList> predictor = model.newPredictor()) {
                float[] prepared = predictor.predict(new NDList(x)).head().toFloatArray();
                ScriptedForward scripted = (ScriptedForward) ((DataflowBlock) model.getBlock()).getCompiledForward();
                assertTrue(scripted.isCompiledFor(x.getDevice()), "eval forwards run one TorchScript module");
                assertEquals(0, ConvBn.foldedCount(model.getBlock()), "the module holds the folded weights, not Java");
                TestSupport.assertClose(prepared, predictor.predict(new NDList(x)).head().toFloatArray(), 1e-4);
                // The predictor's input of a prepared model is its channels-last copy from batch 4.
                assertNotSame(x, model.getTranslator().processInput(context(model), new NDList(x)).head());
                NDArray one = x.get("0:1");
                assertSame(one, model.getTranslator().processInput(context(model), new NDList(one)).head());

                Inference.unprepare(model.getBlock());
                assertSame(x, model.getTranslator().processInput(context(model), new NDList(x)).head());
                float[] plain = predictor.predict(new NDList(x)).head().toFloatArray();
                assertEquals(4 * 10, plain.length);
                TestSupport.assertClose(plain, prepared, 1e-4);
            }
            try (ZooModel<NDList, NDList> model = res2netSmall(Map.of("script", "false"));
                 Predictor<NDList, NDList> predictor = model.newPredictor()) {
                predictor.predict(new NDList(x));
                predictor.predict(new NDList(x));
                assertEquals(45, ConvBn.foldedCount(model.getBlock()), "script=false still folds");
                assertNull(((DataflowBlock) model.getBlock()).getCompiledForward(), "script=false runs block by block");
            }
            try (ZooModel<NDList, NDList> model = res2netSmall(Map.of("prepare", "false"));
                 Predictor<NDList, NDList> predictor = model.newPredictor()) {
                predictor.predict(new NDList(x));
                assertEquals(0, ConvBn.foldedCount(model.getBlock()), "prepare=false keeps conv + BatchNorm");
                assertSame(x, model.getTranslator().processInput(context(model), new NDList(x)).head());
            }
        }
    }

    private static ZooModel<NDList, NDList> res2netSmall(Map<String, String> arguments) throws Exception {
        Criteria.Builder<NDList, NDList> b = Criteria.builder().setTypes(NDList.class, NDList.class)
                .optGroupId("io.convzoo").optArtifactId("res2net_small").optArgument("pretrained", "false")
                .optArgument("inputChannels", 3);
        arguments.forEach(b::optArgument);
        return b.build().loadModel();
    }

    /** The one thing a translator may ask of its context here: the model's block. */
    private static TranslatorContext context(ZooModel<?, ?> model) {
        return (TranslatorContext) Proxy.newProxyInstance(TranslatorContext.class.getClassLoader(),
                new Class<?>[] {TranslatorContext.class},
                (proxy, method, args) -> "getBlock".equals(method.getName()) ? model.getBlock() : null);
    }

    @Test
    void filterThatMatchesNothingIsNotFound() {
        Criteria<NDList, NDList> criteria = Criteria.builder()
                .setTypes(NDList.class, NDList.class)
                .optGroupId("io.convzoo")
                .optArtifactId("pyconvresnet50")
                .optFilter("family", "res2net")
                .optArgument("pretrained", false)
                .build();
        assertThrows(ModelNotFoundException.class, criteria::loadModel);
    }

    @Test
    void missingPretrainedWeightsSayHowToGetThem() {
        Criteria<Image, Classifications> criteria = Criteria.builder()
                .setTypes(Image.class, Classifications.class)
                .optGroupId("io.convzoo")
                .optArtifactId("oct_resnet50")
                .build();
        WeightsNotInstalledException e = assertThrows(WeightsNotInstalledException.class, criteria::loadModel);
        assertTrue(e.getMessage().contains("bin/convzoo import oct_resnet50"), e.getMessage());
        assertTrue(e.getMessage().contains("pretrained\", false"), e.getMessage());
    }

    @Test
    void installedWeightsInTheLocalRepositoryLoadAsPretrained(@TempDir Path root) throws Exception {
        ModelSpec spec = ModelRegistry.get("pyconvresnet_small");
        Path dir = root.resolve(spec.id()).resolve("fashion-mnist");
        Files.createDirectories(dir);
        float[] expected;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = TestSupport.random(m, new Shape(1, 1, 28, 28), 5);
            try (Model source = Model.newInstance(spec.id())) {
                source.setBlock(spec.build());
                ConvZooModelLoader.initializeUntrained(source.getBlock(), source, spec.defaults(), spec.inputSize());
                source.save(dir, spec.id());
                expected = TestSupport.infer(source.getBlock(), m, x).head().toFloatArray();
            }
            try (LocalRoot ignored = LocalRoot.set(root)) {
                Criteria<NDList, NDList> criteria = Criteria.builder()
                        .setTypes(NDList.class, NDList.class)
                        .optGroupId("io.convzoo")
                        .optArtifactId(spec.id())
                        .optFilter("dataset", "fashion-mnist")
                        // The plain forward, to compare bit for bit; folding is checked elsewhere.
                        .optArgument("prepare", "false")
                        .build();
                try (ZooModel<NDList, NDList> model = criteria.loadModel();
                     Predictor<NDList, NDList> predictor = model.newPredictor()) {
                    assertArrayEquals(expected, predictor.predict(new NDList(x)).head().toFloatArray(), 1e-6f);
                }
            }
        }
    }

    @Test
    void unknownIdNamesTheClosestIds() {
        UnknownModelException e = assertThrows(UnknownModelException.class, () -> ModelRegistry.get("res2net50_26w4s"));
        assertEquals("res2net50_26w_4s", e.getSuggestions().get(0));
        assertTrue(e.getMessage().contains("res2net50_26w_4s"), e.getMessage());
    }
}
