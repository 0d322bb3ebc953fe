package io.convzoo.zoo.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.repository.zoo.ZooModel;
import io.convzoo.zoo.Datasets;
import io.convzoo.zoo.ModelRegistry;
import io.convzoo.zoo.ModelSpec;
import io.convzoo.zoo.djl.ConvZooModelLoader;
import io.convzoo.zoo.djl.ModelDirectory;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "Fine-tune from Java" example, as written there (smaller subsets so it runs in
 * seconds): train, make the run a model directory, load it with Criteria and classify a sample.
 */
class ReadmeFineTuneExampleTest {

    @Test
    void theReadmeExampleRuns(@TempDir Path run) throws Exception {
        Assumptions.assumeTrue(FashionMnistDataset.isInstalled(FashionMnistDataset.defaultDirectory()),
                "Fashion-MNIST not installed (apt-get install dataset-fashion-mnist): skipped");
        // --- as in README.md ---
        ModelSpec spec = ModelRegistry.get("res2net_small");
        FashionMnistDataset train = FashionMnistDataset.builder().optSubset(256, true).setBatch(64, true).build();
        FashionMnistDataset val = FashionMnistDataset.builder().optSplit(FashionMnistDataset.Split.TEST)
                .optSubset(100, true).setBatch(64, false).build();
        try (Model model = Model.newInstance(spec.id())) {
            Block block = spec.build(spec.defaults()); // 10 classes, 1 input channel
            model.setBlock(block);
            ConvZooModelLoader.initializeUntrained(block, model, spec.defaults(), spec.inputSize());
            FineTuneOutput.writeInfo(run, new FineTuneOutput.Info(spec.id(), 10, 1, Datasets.FASHION_MNIST,
                    Datasets.FASHION_MNIST, Datasets.FASHION_MNIST_SPEC.classNames()));
            FineTuneConfig config = new FineTuneConfig().epochs(1).batchSize(64).sgd(0.05f, 0.9f, true)
                    .weightDecay(5e-4f).outputDir(run);
            FineTuner.Result result = new FineTuner(config).fit(model, train, val, new Shape(64, 1, 28, 28),
                    Datasets.FASHION_MNIST_SPEC.classNames());
            System.out.println("best validation accuracy " + result.bestValAccuracy());
        }
        FineTuneOutput.makeModelDirectory(run, FineTuneOutput.Weights.BEST);
        Path sample = Paths.get("").toAbsolutePath().getParent().resolve("samples/fashion-mnist/00000-ankle-boot.png");
        try (ZooModel<Image, Classifications> tuned = ModelDirectory.criteria(run, Image.class, Classifications.class)
                .build().loadModel();
             Predictor<Image, Classifications> predictor = tuned.newPredictor()) {
            Classifications top = predictor.predict(ImageFactory.getInstance().fromFile(sample));
            // --- end of the README example ---
            assertEquals(10, top.getClassNames().size());
            assertTrue(Datasets.FASHION_MNIST_SPEC.classNames().contains(top.best().getClassName()));
        }
    }
}
