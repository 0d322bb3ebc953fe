package io.convzoo.zoo.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import io.convzoo.blocks.TestSupport;
import io.convzoo.blocks.script.ScriptedForward;
import io.convzoo.zoo.Datasets;
import io.convzoo.zoo.ImagePreprocessing;
import io.convzoo.zoo.arch.ResNet;
import io.convzoo.zoo.train.ModelSurgery;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Backbones and embeddings through DJL's Criteria, on a model whose Fashion-MNIST weights ship in
 * the zoo jar: {@code Image -> float[]} is the pooled pre-logit embedding (the shipped classifier
 * applied to it gives the shipped model's logits), {@code numClasses = 0} with pretrained weights
 * gives the same vector as a tensor, and {@code featuresOnly} returns the feature maps (the last one
 * pooled is that vector again). Also: a single-map backbone of an octave model runs scripted with the
 * same values as block by block.
 */
class BackboneCriteriaTest {

    private static final String ID = "res2net_small";

    private static <I, O> Criteria.Builder<I, O> criteria(Class<I> in, Class<O> out) {
        return Criteria.builder().setTypes(in, out).optGroupId(ConvZooModelZoo.GROUP_ID).optArtifactId(ID);
    }

    @Test
    void embeddingsAreThePooledFeaturesTheClassifierReads() throws Exception {
        Path sample = Paths.get("").toAbsolutePath().getParent().resolve("samples/fashion-mnist/00000-ankle-boot.png");
        Image image = ImageFactory.getInstance().fromFile(sample);
        ImagePreprocessing preprocessing = new ImagePreprocessing(Datasets.of(Datasets.FASHION_MNIST));
        try (NDManager manager = NDManager.newBaseManager();
             ZooModel<Image, float[]> embedder = criteria(Image.class, float[].class).build().loadModel();
             Predictor<Image, float[]> embed = embedder.newPredictor();
             ZooModel<NDList, NDList> classifier = criteria(NDList.class, NDList.class).build().loadModel();
             Predictor<NDList, NDList> classify = classifier.newPredictor();
             ZooModel<NDList, NDList> pooled = criteria(NDList.class, NDList.class).optArgument("numClasses", 0)
                     .build().loadModel();
             Predictor<NDList, NDList> pool = pooled.newPredictor();
             ZooModel<NDList, NDList> backbone = criteria(NDList.class, NDList.class)
                     .optArgument(ResNet.FEATURES_ONLY, true).build().loadModel();
             Predictor<NDList, NDList> features = backbone.newPredictor()) {
            float[] embedding = embed.predict(image);
            NDArray x = manager.create(preprocessing.toInput(image), new Shape(1, 1, 28, 28));

            NDArray fcWeight = ModelSurgery.child(classifier.getBlock(), "fc").getParameters().get("weight").getArray();
            NDArray fcBias = ModelSurgery.child(classifier.getBlock(), "fc").getParameters().get("bias").getArray();
            assertEquals(fcWeight.getShape().get(1), embedding.length, "the classifier's input width");
            float[] logits = classify.predict(new NDList(x)).head().toFloatArray();
            NDArray e = manager.create(embedding, new Shape(1, embedding.length));
            TestSupport.assertClose(logits, e.matMul(fcWeight.transpose()).add(fcBias).toFloatArray(), 1e-4);

            NDArray pooledOut = pool.predict(new NDList(x)).head();
            assertEquals(new Shape(1, embedding.length), pooledOut.getShape());
            TestSupport.assertClose(embedding, pooledOut.toFloatArray(), 1e-5);
            assertTrue(pooled.getBlock().getParameters().keys().stream().noneMatch(k -> k.contains("fc")),
                    "numClasses = 0 drops the classifier");

            NDList maps = features.predict(new NDList(x));
            List<ResNet.FeatureInfo> info = ((ResNet) backbone.getBlock()).featureInfo();
            assertEquals(5, maps.size());
            assertEquals(info.size(), maps.size());
            for (int k = 0; k < maps.size(); k++) {
                assertEquals(info.get(k).channels(), maps.get(k).getShape().get(1), "channels of feature " + k);
            }
            NDArray last = maps.get(4);
            TestSupport.assertClose(embedding, last.mean(new int[] {3}).mean(new int[] {2}).toFloatArray(), 1e-5);
        }
    }

    @Test
    void aSingleMapOctaveBackboneRunsScriptedAsBlockByBlock() throws Exception {
        Criteria<NDList, NDList> c = Criteria.builder().setTypes(NDList.class, NDList.class)
                .optGroupId(ConvZooModelZoo.GROUP_ID).optArtifactId("oct_resnet_small")
                .optArgument("pretrained", false)
                .optArguments(Map.of(ResNet.FEATURES_ONLY, "true", ResNet.OUT_INDICES, "2",
                        ConvZooModelLoader.RUNTIME, "libtorch")).build();
        try (ZooModel<NDList, NDList> model = c.loadModel(); Predictor<NDList, NDList> predictor = model.newPredictor()) {
            Block block = model.getBlock();
            NDArray x = TestSupport.random(model.getNDManager(), new Shape(2, 1, 28, 28), 3);
            NDArray first = predictor.predict(new NDList(x)).head();
            NDArray second = predictor.predict(new NDList(x)).head();
            ScriptedForward scripted = (ScriptedForward) ((io.convzoo.blocks.DataflowBlock) block).getCompiledForward();
            assertTrue(scripted.isCompiledFor(x.getDevice()), "the one-map backbone is one TorchScript module");
            // layer2 of the small OctResNet: 32 planes x 4, high and low merged; 28 -> 14.
            assertEquals(new Shape(2, 128, 14, 14), first.getShape());
            TestSupport.assertClose(first.toFloatArray(), second.toFloatArray(), 1e-4);
        }
    }

    @Test
    void embeddingsOfAFeaturesOnlyModelAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> criteria(Image.class, float[].class).optArgument(ResNet.FEATURES_ONLY, true).build().loadModel());
        assertTrue(e.getMessage().contains("a featuresOnly model returns feature maps"), e.getMessage());
    }
}
