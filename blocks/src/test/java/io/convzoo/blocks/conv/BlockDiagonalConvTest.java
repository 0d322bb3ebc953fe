package io.convzoo.blocks.conv;

import static io.convzoo.blocks.TestSupport.assertClose;
import static io.convzoo.blocks.TestSupport.randomFloats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.GradientCollector;
import io.convzoo.blocks.NaiveConv;
import org.junit.jupiter.api.Test;

class BlockDiagonalConvTest {

    @Test
    void denseKernelHoldsEachGroupOnTheDiagonalAndZerosElsewhere() {
        try (NDManager m = NDManager.newBaseManager()) {
            int out = 6;
            int inPerGroup = 2;
            int groups = 3;
            float[] w = randomFloats(out * inPerGroup * 5 * 5, 3);
            float[] dense = BlockDiagonalConv.expand(m.create(w, new Shape(out, inPerGroup, 5, 5)), groups)
                    .toFloatArray();
            assertEquals(out * inPerGroup * groups * 25, dense.length);
            for (int o = 0; o < out; o++) {
                for (int i = 0; i < inPerGroup * groups; i++) {
                    for (int k = 0; k < 25; k++) {
                        float expected = i / inPerGroup == o / (out / groups)
                                ? w[(o * inPerGroup + i % inPerGroup) * 25 + k] : 0f;
                        assertEquals(expected, dense[(o * inPerGroup * groups + i) * 25 + k], 0f, "o=" + o + " i=" + i);
                    }
                }
            }
        }
    }

    @Test
    void equalsTheNaiveGroupedConvInBothForms() {
        try (NDManager m = NDManager.newBaseManager()) {
            // 16 channels / 4 groups = 4 per group, 7x7 kernel: the dense form on CPU.
            int n = 2;
            int c = 16;
            int co = 8;
            int groups = 4;
            int k = 7;
            int hw = 9;
            float[] x = randomFloats(n * c * hw * hw, 1);
            float[] w = randomFloats(co * (c / groups) * k * k, 2);
            float[] b = randomFloats(co, 5);
            float[] expected = NaiveConv.conv2d(x, n, c, hw, hw, w, co, k, k, b, 2, 3, 1, groups);
            NDArray xs = m.create(x, new Shape(n, c, hw, hw));
            NDArray ws = m.create(w, new Shape(co, c / groups, k, k));
            assertTrue(BlockDiagonalConv.prefersDense(xs.getDevice(), c, groups, k, k));
            NDArray y = BlockDiagonalConv.conv2d(xs, ws, m.create(b), new Shape(2, 2), new Shape(3, 3),
                    new Shape(1, 1), groups);
            assertArrayEquals(new long[] {n, co, 5, 5}, y.getShape().getShape());
            assertClose(expected, y.toFloatArray(), 1e-4);
        }
    }

    @Test
    void gradientsReachOnlyTheGroupedWeightAndMatchTheGroupedOp() {
        try (NDManager m = NDManager.newBaseManager()) {
            Shape xShape = new Shape(2, 8, 6, 6);
            Shape wShape = new Shape(8, 2, 5, 5);
            float[][] grads = new float[2][];
            float[][] inputGrads = new float[2][];
            for (int form = 0; form < 2; form++) {
                NDArray x = m.create(randomFloats((int) xShape.size(), 7), xShape);
                NDArray w = m.create(randomFloats((int) wShape.size(), 8), wShape);
                x.setRequiresGradient(true);
                w.setRequiresGradient(true);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray y = form == 0
                            ? Conv2d.conv2d(x, w, null, new Shape(1, 1), new Shape(2, 2), new Shape(1, 1), 4).head()
                            : Conv2d.conv2d(x, BlockDiagonalConv.expand(w, 4), null, new Shape(1, 1),
                                    new Shape(2, 2), new Shape(1, 1), 1).head();
                    gc.backward(y.mul(y).sum());
                }
                grads[form] = w.getGradient().toFloatArray();
                inputGrads[form] = x.getGradient().toFloatArray();
            }
            assertEquals(wShape.size(), grads[1].length);
            assertClose(grads[0], grads[1], 1e-3);
            assertClose(inputGrads[0], inputGrads[1], 1e-3);
        }
    }

    @Test
    void ruleKeepsDenseFormForFewChannelsPerGroupLargeKernelsOnCpuOnly() {
        Device cpu = Device.cpu();
        assertTrue(BlockDiagonalConv.prefersDense(cpu, 32, 8, 9, 9));
        assertTrue(BlockDiagonalConv.prefersDense(cpu, 64, 16, 9, 9));
        assertTrue(BlockDiagonalConv.prefersDense(cpu, 32, 4, 5, 5));
        assertFalse(BlockDiagonalConv.prefersDense(cpu, 64, 4, 5, 5), "16 channels per group");
        assertFalse(BlockDiagonalConv.prefersDense(cpu, 32, 8, 3, 3), "3x3 kernel");
        assertFalse(BlockDiagonalConv.prefersDense(cpu, 64, 64, 9, 9), "depthwise");
        assertFalse(BlockDiagonalConv.prefersDense(cpu, 32, 1, 9, 9), "dense already");
        assertFalse(BlockDiagonalConv.prefersDense(Device.gpu(), 32, 8, 9, 9), "GPU keeps the grouped op");
    }
}
