package io.convzoo.blocks.conv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.NaiveConv;
import io.convzoo.blocks.TestSupport;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Depthwise separable conv: the seed's 24+60 params / 216+540 MACs, numbers vs two NaiveConv passes. */
class DepthwiseSeparableConvTest {

    @Test
    void seedTableSeparableConv() {
        Shape input = new Shape(1, 6, 4, 4);
        DepthwiseSeparableConv sep = new DepthwiseSeparableConv(6, 10, 2, 1, 0);
        try (NDManager m = NDManager.newBaseManager()) {
            TestSupport.init(sep, m, input);
            assertEquals(24, Layers.countParameters(sep.getDepthwise()));
            assertEquals(60, Layers.countParameters(sep.getPointwise()));
            assertEquals(84, Layers.countParameters(sep));
            assertEquals(new Shape(6, 1, 2, 2), sep.getDepthwise().getParameters().get("weight").getArray().getShape());
            assertEquals(new Shape(10, 6, 1, 1), sep.getPointwise().getParameters().get("weight").getArray().getShape());
            assertEquals(216, ConvHelpersTest.macsOf(sep.getDepthwise(), input));
            Shape mid = sep.getDepthwise().getOutputShapes(new Shape[] {input})[0];
            assertEquals(new Shape(1, 6, 3, 3), mid);
            assertEquals(540, ConvHelpersTest.macsOf(sep.getPointwise(), mid));
            NDArray y = TestSupport.infer(sep, m, m.ones(input)).head();
            assertEquals(new Shape(1, 10, 3, 3), y.getShape());
            assertEquals(new Shape(1, 10, 3, 3), sep.getOutputShapes(new Shape[] {input})[0]);
        }
    }

    @Test
    void childNamesAreDepthwiseAndPointwise() {
        DepthwiseSeparableConv plain = new DepthwiseSeparableConv(4, 8, 3, 1, 1);
        DepthwiseSeparableConv withBn = new DepthwiseSeparableConv(4, 8, 3, 1, 1, 1, true, true);
        try (NDManager m = NDManager.newBaseManager()) {
            TestSupport.init(plain, m, new Shape(1, 4, 5, 5));
            TestSupport.init(withBn, m, new Shape(1, 4, 5, 5));
            assertEquals(List.of("01depthwise_weight", "02pointwise_weight"), keys(plain));
            assertEquals(List.of("01depthwise_weight", "01depthwise_bias", "02bn_gamma", "02bn_beta",
                    "02bn_runningMean", "02bn_runningVar", "04pointwise_weight", "04pointwise_bias"), keys(withBn));
            // 4*9 + 4 (dw) + 8 (bn gamma/beta) + 8*4 + 8 (pw)
            assertEquals(88, Layers.countParameters(withBn));
        }
    }

    private static List<String> keys(DepthwiseSeparableConv block) {
        List<String> keys = new ArrayList<>();
        for (Pair<String, Parameter> p : block.getParameters()) {
            keys.add(p.getKey());
        }
        return keys;
    }

    @Test
    void matchesTwoNaiveConvPasses() {
        int n = 2;
        int c = 3;
        int h = 7;
        DepthwiseSeparableConv sep = new DepthwiseSeparableConv(c, 5, 3, 2, 2, 2, false, false);
        try (NDManager m = NDManager.newBaseManager()) {
            Shape in = new Shape(n, c, h, h);
            TestSupport.init(sep, m, in);
            float[] x = TestSupport.randomFloats(n * c * h * h, 21);
            float[] dw = sep.getDepthwise().getParameters().get("weight").getArray().toFloatArray();
            float[] pw = sep.getPointwise().getParameters().get("weight").getArray().toFloatArray();
            NDArray y = TestSupport.infer(sep, m, m.create(x, in)).head();
            // depthwise: k=3, s=2, p=2, d=2 -> (7 + 4 - 4 - 1)/2 + 1 = 4
            float[] mid = NaiveConv.conv2d(x, n, c, h, h, dw, c, 3, 3, null, 2, 2, 2, c);
            float[] expected = NaiveConv.conv2d(mid, n, c, 4, 4, pw, 5, 1, 1, null, 1, 0, 1, 1);
            assertEquals(new Shape(n, 5, 4, 4), y.getShape());
            TestSupport.assertClose(expected, y.toFloatArray(), 1e-5);
        }
    }

    @Test
    void bnAndReluBetweenMatchReferenceInInference() {
        int n = 1;
        int c = 4;
        int h = 5;
        DepthwiseSeparableConv sep = new DepthwiseSeparableConv(c, 3, 3, 1, 1, 1, true, true);
        try (NDManager m = NDManager.newBaseManager()) {
            Shape in = new Shape(n, c, h, h);
            TestSupport.init(sep, m, in);
            float[] x = TestSupport.randomFloats(n * c * h * h, 22);
            float[] dw = sep.getDepthwise().getParameters().get("weight").getArray().toFloatArray();
            float[] dwb = TestSupport.randomFloats(c, 23);
            sep.getDepthwise().getParameters().get("bias").getArray().set(dwb);
            float[] pw = sep.getPointwise().getParameters().get("weight").getArray().toFloatArray();
            float[] pwb = TestSupport.randomFloats(3, 24);
            sep.getPointwise().getParameters().get("bias").getArray().set(pwb);
            NDArray y = TestSupport.infer(sep, m, m.create(x, in)).head();
            // fresh BN in inference: running mean 0, var 1, gamma 1, beta 0 -> x / sqrt(1 + eps)
            float[] mid = NaiveConv.conv2d(x, n, c, h, h, dw, c, 3, 3, dwb, 1, 1, 1, c);
            for (int i = 0; i < mid.length; i++) {
                mid[i] = Math.max(0f, (float) (mid[i] / Math.sqrt(1 + 1e-5)));
            }
            float[] expected = NaiveConv.conv2d(mid, n, c, h, h, pw, 3, 1, 1, pwb, 1, 0, 1, 1);
            TestSupport.assertClose(expected, y.toFloatArray(), 1e-5);
        }
    }

    @Test
    void badInputNamesBlockAndExpectedShape() {
        DepthwiseSeparableConv sep = new DepthwiseSeparableConv(6, 10, 3, 1, 1);
        ConvHelpersTest.assertMessage(sep, new Shape(6, 8, 8), "DepthwiseSeparableConv", "(N, C=6, H, W)", "rank 3");
        ConvHelpersTest.assertMessage(sep, new Shape(1, 4, 8, 8), "DepthwiseSeparableConv", "(N, C=6, H, W)",
                "4 channels");
        try (NDManager m = NDManager.newBaseManager()) {
            TestSupport.init(sep, m, new Shape(1, 6, 8, 8));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TestSupport.infer(sep, m, m.ones(new Shape(1, 3, 8, 8))));
            assertTrue(e.getMessage().contains("DepthwiseSeparableConv") && e.getMessage().contains("C=6"),
                    e.getMessage());
            IllegalArgumentException init = assertThrows(IllegalArgumentException.class,
                    () -> TestSupport.init(new DepthwiseSeparableConv(6, 10, 3, 1, 1), m, new Shape(1, 5, 8, 8)));
            assertTrue(init.getMessage().contains("DepthwiseSeparableConv"), init.getMessage());
        }
    }

    @Test
    void trains() {
        TestSupport.assertTrains(new DepthwiseSeparableConv(4, 6, 3, 1, 1, 1, true, true), new Shape(2, 4, 6, 6),
                5, 0.1f);
        TestSupport.assertTrains(new DepthwiseSeparableConv(4, 6, 3, 2, 1), new Shape(2, 4, 6, 6), 5, 0.1f);
    }
}
