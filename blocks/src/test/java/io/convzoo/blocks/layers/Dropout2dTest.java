package io.convzoo.blocks.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.convzoo.blocks.TestSupport;
import org.junit.jupiter.api.Test;

/** nn.Dropout2d: whole (sample, channel) maps dropped and the rest scaled by 1 / (1 − p) in training; identity in eval. */
class Dropout2dTest {

    @Test
    void trainingDropsWholeChannelsAndScalesTheRestEvalIsTheIdentity() {
        Dropout2d dropout = new Dropout2d(0.5f);
        Shape shape = new Shape(4, 64, 3, 5);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.ones(shape);
            dropout.initialize(m, DataType.FLOAT32, shape);
            assertEquals(shape, dropout.getOutputShapes(new Shape[] {shape})[0]);
            float[] eval = TestSupport.infer(dropout, m, x).head().toFloatArray();
            assertEquals(15 * 64 * 4, (int) m.create(eval).sum().getFloat());
            float[] y = dropout.forward(new ParameterStore(m, false), new NDList(x), true).head().toFloatArray();
            int dropped = 0;
            for (int map = 0; map < 4 * 64; map++) {
                float first = y[map * 15];
                assertTrue(first == 0f || first == 2f, "a kept value is scaled by 1 / (1 - 0.5): " + first);
                for (int i = 1; i < 15; i++) {
                    assertEquals(first, y[map * 15 + i], "map " + map + " is dropped or kept as a whole");
                }
                dropped += first == 0f ? 1 : 0;
            }
            // 256 maps at p = 0.5: far from none or all (binomial, sd 8).
            assertTrue(dropped > 80 && dropped < 176, "dropped " + dropped + " of 256 maps");
        }
        assertThrows(IllegalArgumentException.class, () -> new Dropout2d(1f));
    }
}
