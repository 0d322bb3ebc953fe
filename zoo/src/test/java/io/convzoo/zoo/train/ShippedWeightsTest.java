package io.convzoo.zoo.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import io.convzoo.zoo.Datasets;
import io.convzoo.zoo.ModelRegistry;
import io.convzoo.zoo.ModelSpec;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Every Fashion-MNIST model whose weights ship inside the zoo jar loads offline through Criteria
 * (pretrained, dataset filter) and scores at least 92% top-1 on a fixed stratified 2,000-image subset
 * of the test set. Skipped with a message when the dataset is not installed (.ci/run installs it).
 */
class ShippedWeightsTest {

    static final double REQUIRED_ACCURACY = 0.92;

    /** Each shipped weights file must stay within the 5 MB. */
    static final long MAX_BYTES = 5_000_000;

    private static List<ModelSpec> shipped() {
        return ModelRegistry.all().stream()
                .filter(s -> Datasets.FASHION_MNIST.equals(s.properties().get("dataset")))
                .filter(s -> ShippedWeightsTest.class.getClassLoader().getResource(weightsPath(s)) != null)
                .toList();
    }

    private static String weightsPath(ModelSpec s) {
        return "io/convzoo/weights/" + s.id() + "/fashion-mnist/" + s.id() + "-0000.params";
    }

    @Test
    void everySmallVariantShipsWeightsOfAtMostFiveMegabytes() throws Exception {
        List<String> small = ModelRegistry.all().stream()
                .filter(s -> Datasets.FASHION_MNIST.equals(s.properties().get("dataset"))).map(ModelSpec::id).toList();
        assertEquals(small, shipped().stream().map(ModelSpec::id).toList(), "every Fashion-MNIST variant ships weights");
        for (ModelSpec spec : shipped()) {
            try (var in = ShippedWeightsTest.class.getClassLoader().getResourceAsStream(weightsPath(spec))) {
                long size = in.readAllBytes().length;
                assertTrue(size <= MAX_BYTES, spec.id() + " weights are " + size + " bytes");
            }
        }
    }

    @Test
    void everyShippedModelReachesTheRequiredAccuracy() throws Exception {
        List<ModelSpec> shipped = shipped();
        Assumptions.assumeFalse(shipped.isEmpty(), "no Fashion-MNIST weights ship in the zoo jar yet");
        Assumptions.assumeTrue(FashionMnistDataset.isInstalled(FashionMnistDataset.defaultDirectory()),
                FashionMnistDataset.howToInstall(FashionMnistDataset.defaultDirectory()));
        FashionMnistDataset test = FashionMnistDataset.builder().optSplit(FashionMnistDataset.Split.TEST)
                .optSubset(2000, true).setBatch(250, false).build();
        test.prepare();
        for (ModelSpec spec : shipped) {
            Criteria<NDList, NDList> criteria = Criteria.builder().setTypes(NDList.class, NDList.class)
                    .optGroupId("io.convzoo").optArtifactId(spec.id()).optFilter("dataset", Datasets.FASHION_MNIST)
                    .build();
            try (ZooModel<NDList, NDList> model = criteria.loadModel()) {
                ModelEvaluator.Evaluation eval = ModelEvaluator.evaluate(model.getBlock(), test, 250,
                        test.classNames(), model.getNDManager());
                assertTrue(eval.accuracy() >= REQUIRED_ACCURACY, spec.id() + " scored " + eval.accuracy()
                        + " on 2,000 test images, below " + REQUIRED_ACCURACY);
            }
        }
    }
}
