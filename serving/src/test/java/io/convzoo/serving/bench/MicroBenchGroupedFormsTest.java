package io.convzoo.serving.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.convzoo.blocks.GroupedConvForms;
import org.junit.jupiter.api.Test;

/** The timed forms of the grouped-conv micro-benchmark compute the same thing. */
class MicroBenchGroupedFormsTest {

    @Test
    void everyFormGivesTheSameOutputAndWeightGradient() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.randomNormal(new Shape(2, 16, 9, 9));
            NDArray w = m.randomNormal(new Shape(16, 2, 7, 7)); // 2 outputs per group
            for (boolean training : new boolean[] {false, true}) {
                NDArray grouped = MicroBench.groupedStep(x, w, 3, 8, GroupedConvForms.Form.GROUPED, training);
                assertEquals(training ? new Shape(16, 2, 7, 7) : new Shape(2, 16, 9, 9), grouped.getShape());
                for (GroupedConvForms.Form form : GroupedConvForms.Form.values()) {
                    NDArray other = MicroBench.groupedStep(x, w, 3, 8, form, training);
                    assertArrayEquals(grouped.getShape().getShape(), other.getShape().getShape());
                    float worst = grouped.sub(other).abs().max().getFloat();
                    assertEquals(0f, worst, 1e-3f, form + (training ? " weight gradient" : " output") + " differs by "
                            + worst);
                }
            }
        }
    }
}
