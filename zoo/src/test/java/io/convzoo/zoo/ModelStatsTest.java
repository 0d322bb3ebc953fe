package io.convzoo.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.convzoo.zoo.summary.ModelSummary;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/**
 * The generated stats table must equal what the models compute now, and the conv+linear MACs of
 * the flagship models must equal the official code's (forward hooks on nn.Conv2d / nn.Linear,
 * measured with Debian PyTorch; see docs/models.md).
 */
class ModelStatsTest {

    @Test
    void tableMatchesEveryModel() {
        for (ModelSpec spec : ModelRegistry.all()) {
            ModelStats.Entry row = ModelStats.tabulated(spec.id()).orElseThrow(() -> new AssertionError(
                    "model-stats.properties has no row for " + spec.id() + ": regenerate with ModelStats.main"));
            assertEquals(ModelStats.compute(spec), row, "stale model-stats.properties row for "
                    + spec.id() + ": regenerate with ModelStats.main");
        }
    }

    @Test
    void officialMacsAt224() {
        assertMacs("pyconvresnet50", 3_820_441_600L);
        assertMacs("res2net50_26w_4s", 4_255_166_464L);
        assertMacs("oct_resnet50", 2_367_143_936L);
    }

    private static void assertMacs(String id, long expected) {
        ModelSummary s = ModelSummary.of(ModelRegistry.get(id).build(), new Shape(1, 3, 224, 224));
        assertEquals(expected, s.macs(), id);
    }
}
