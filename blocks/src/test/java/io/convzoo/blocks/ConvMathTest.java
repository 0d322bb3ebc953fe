package io.convzoo.blocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import org.junit.jupiter.api.Test;

class ConvMathTest {

    @Test
    void outputSizeFollowsTheDilatedFormula() {
        assertEquals(3, ConvMath.outputSize(4, 2, 1, 0, 1));
        assertEquals(112, ConvMath.outputSize(224, 7, 2, 3, 1));
        // k=3, d=2: receptive field 5, so 7 + 2*0 - 4 - 1 = 2 -> 2/1 + 1 = 3
        assertEquals(3, ConvMath.outputSize(7, 3, 1, 0, 2));
        assertEquals(4, ConvMath.outputSize(7, 3, 2, 2, 2));
        assertThrows(IllegalArgumentException.class, () -> ConvMath.outputSize(3, 3, 1, 0, 2));
    }

    @Test
    void receptiveFieldOfDilatedKernel() {
        assertEquals(3, ConvMath.receptiveField(3, 1));
        assertEquals(5, ConvMath.receptiveField(3, 2));
        assertEquals(13, ConvMath.receptiveField(5, 3));
    }

    @Test
    void engineAgreesWithTheFormula() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (int[] c : new int[][] {{9, 3, 1, 1, 2}, {10, 3, 2, 0, 3}, {11, 5, 3, 2, 1}, {8, 2, 2, 1, 2}}) {
                Conv2d conv = Layers.conv(4, c[1], c[2], c[3], c[4], 1, false);
                Shape in = new Shape(1, 2, c[0], c[0]);
                TestSupport.init(conv, m, in);
                NDArray out = TestSupport.infer(conv, m, TestSupport.random(m, in, 1)).head();
                long o = ConvMath.outputSize(c[0], c[1], c[2], c[3], c[4]);
                assertEquals(new Shape(1, 4, o, o), out.getShape());
                assertEquals(out.getShape(), conv.getOutputShapes(new Shape[] {in})[0]);
            }
        }
    }

    /** The seed's table: 6 -> 10 channels, 2×2 kernel, 4×4 input (3×3 output). */
    @Test
    void seedTableOfNormalGroupedAndSeparableConv() {
        assertEquals(240, ConvMath.convParams(6, 10, 2, 2, 1, false));
        assertEquals(2160, ConvMath.convMacs(6, 10, 2, 2, 1, 3, 3));
        assertEquals(120, ConvMath.convParams(6, 10, 2, 2, 2, false));
        assertEquals(1080, ConvMath.convMacs(6, 10, 2, 2, 2, 3, 3));
        assertEquals(24, ConvMath.convParams(6, 6, 2, 2, 6, false));
        assertEquals(216, ConvMath.convMacs(6, 6, 2, 2, 6, 3, 3));
        assertEquals(60, ConvMath.convParams(6, 10, 1, 1, 1, false));
        assertEquals(540, ConvMath.convMacs(6, 10, 1, 1, 1, 3, 3));
        assertThrows(IllegalArgumentException.class, () -> ConvMath.convParams(6, 10, 2, 2, 4, false));
    }
}
