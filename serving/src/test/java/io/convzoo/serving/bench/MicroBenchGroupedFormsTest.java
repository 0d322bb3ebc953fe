package io.convzoo.serving.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/** The two timed forms of the grouped-conv micro-benchmark compute the same thing. */
class MicroBenchGroupedFormsTest {

    @Test
    void bothFormsGiveTheSameOutputAndWeightGradient() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.randomNormal(new Shape(2, 16, 9, 9));
            NDArray w = m.randomNormal(new Shape(8, 2, 7, 7));
            for (boolean training : new boolean[] {false, true}) {
                NDArray grouped = MicroBench.groupedStep(x, w, 3, 8, false, training);
                NDArray dense = MicroBench.groupedStep(x, w, 3, 8, true, training);
                assertArrayEquals(grouped.getShape().getShape(), dense.getShape().getShape());
                assertEquals(training ? new Shape(8, 2, 7, 7) : new Shape(2, 8, 9, 9), dense.getShape());
                float worst = grouped.sub(dense).abs().max().getFloat();
                assertEquals(0f, worst, 1e-3f, (training ? "weight gradient" : "output") + " differs by " + worst);
            }
        }
    }
}
