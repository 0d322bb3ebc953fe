package io.convzoo.blocks.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import io.convzoo.blocks.TestSupport;
import org.junit.jupiter.api.Test;

class ChannelsLastTest {

    @Test
    void copyHasTheSameShapeAndValuesInChannelsLastMemory() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = TestSupport.random(m, new Shape(2, 3, 4, 5), 1);
            NDArray y = ChannelsLast.of(x);
            assertEquals(x.getShape(), y.getShape());
            assertArrayEquals(x.toFloatArray(), y.toFloatArray());
            assertTrue(isChannelsLast(y), "W and C of the copy are adjacent in memory");
            assertFalse(isChannelsLast(TestSupport.random(m, new Shape(2, 3, 4, 5), 1)), "NCHW input");
            assertArrayEquals(x.toFloatArray(), TestSupport.random(m, new Shape(2, 3, 4, 5), 1).toFloatArray(),
                    "converting does not touch the input");
        }
    }

    @Test
    void convAndReluKeepTheFormatAndTheValues() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = TestSupport.random(m, new Shape(8, 3, 9, 9), 2);
            NDArray w = TestSupport.random(m, new Shape(6, 3, 3, 3), 3);
            NDArray nchw = Activation.relu(Conv2d.conv2d(x, w, null, new Shape(1, 1), new Shape(1, 1),
                    new Shape(1, 1), 1).head());
            NDArray cl = Activation.relu(Conv2d.conv2d(ChannelsLast.of(x), w, null, new Shape(1, 1), new Shape(1, 1),
                    new Shape(1, 1), 1).head());
            assertTrue(isChannelsLast(cl), "libtorch propagates the memory format");
            TestSupport.assertClose(nchw.toFloatArray(), cl.toFloatArray(), 1e-5);
        }
    }

    @Test
    void paysFromBatchFourOnMultiChannelCpuInputs() {
        try (NDManager m = NDManager.newBaseManager()) {
            assertTrue(ChannelsLast.pays(m.zeros(new Shape(4, 3, 4, 4))));
            assertTrue(ChannelsLast.pays(m.zeros(new Shape(8, 3, 4, 4))));
            assertFalse(ChannelsLast.pays(m.zeros(new Shape(3, 3, 4, 4))), "small batches were slower");
            assertFalse(ChannelsLast.pays(m.zeros(new Shape(1, 3, 4, 4))), "small batches were slower");
            assertFalse(ChannelsLast.pays(m.zeros(new Shape(8, 1, 4, 4))), "one channel: the same layout");
            assertFalse(ChannelsLast.pays(m.zeros(new Shape(8, 3, 4))), "not an image batch");
        }
    }

    /**
     * Whether W and C of {@code x} are adjacent in memory: then viewing it as (N, H, W·C) needs no
     * copy, and an in-place write through that view reaches {@code x}.
     */
    private static boolean isChannelsLast(NDArray x) {
        Shape s = x.getShape();
        float before = x.sum().getFloat();
        NDArray view = x.transpose(0, 2, 3, 1).reshape(s.get(0), s.get(2), s.get(3) * s.get(1));
        view.addi(1f);
        boolean reached = Math.abs(x.sum().getFloat() - before - s.size()) < 1e-2 * s.size();
        view.subi(1f);
        return reached;
    }
}
