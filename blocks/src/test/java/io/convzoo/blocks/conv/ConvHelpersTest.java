package io.convzoo.blocks.conv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import io.convzoo.blocks.ConvMath;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.NaiveConv;
import io.convzoo.blocks.TestSupport;
import org.junit.jupiter.api.Test;

/** Grouped and dilated conv blocks: the seed's parameter/MAC table, numbers vs NaiveConv, input checks. */
class ConvHelpersTest {

    private static final Shape SEED_INPUT = new Shape(1, 6, 4, 4);

    /** Conv MACs of an initialized conv, derived from its weight shape and its output shape. */
    static long macsOf(CheckedConv2d conv, Shape input) {
        Shape w = conv.getParameters().get("weight").getArray().getShape();
        Shape out = conv.getOutputShapes(new Shape[] {input})[0];
        long groups = conv.getGroups();
        return ConvMath.convMacs(w.get(1) * groups, w.get(0), w.get(2), w.get(3), groups, out.get(2), out.get(3));
    }

    @Test
    void seedTableNormalConv() {
        CheckedConv2d conv = GroupedConv.of(6, 10, 2, 1, 0, 1, false);
        try (NDManager m = NDManager.newBaseManager()) {
            TestSupport.init(conv, m, SEED_INPUT);
            assertEquals(240, Layers.countParameters(conv));
            assertEquals(2160, macsOf(conv, SEED_INPUT));
            NDArray y = TestSupport.infer(conv, m, m.ones(SEED_INPUT)).head();
            assertEquals(new Shape(1, 10, 3, 3), y.getShape());
        }
    }

    @Test
    void seedTableGroupedConv() {
        CheckedConv2d conv = GroupedConv.of(6, 10, 2, 1, 0, 2, false);
        try (NDManager m = NDManager.newBaseManager()) {
            TestSupport.init(conv, m, SEED_INPUT);
            assertEquals(120, Layers.countParameters(conv));
            assertEquals(GroupedConv.parameters(6, 10, 2, 2, false), Layers.countParameters(conv));
            assertEquals(1080, macsOf(conv, SEED_INPUT));
            assertEquals(new Shape(10, 3, 2, 2), conv.getParameters().get("weight").getArray().getShape());
            NDArray y = TestSupport.infer(conv, m, m.ones(SEED_INPUT)).head();
            assertEquals(new Shape(1, 10, 3, 3), y.getShape());
        }
    }

    @Test
    void groupedConvMatchesNaiveConv() {
        int n = 2;
        int c = 6;
        int h = 7;
        CheckedConv2d conv = GroupedConv.of(c, 9, 3, 2, 1, 3, true);
        try (NDManager m = NDManager.newBaseManager()) {
            Shape in = new Shape(n, c, h, h);
            TestSupport.init(conv, m, in);
            float[] x = TestSupport.randomFloats(n * c * h * h, 3);
            float[] w = conv.getParameters().get("weight").getArray().toFloatArray();
            float[] b = TestSupport.randomFloats(9, 4);
            conv.getParameters().get("bias").getArray().set(b);
            NDArray y = TestSupport.infer(conv, m, m.create(x, in)).head();
            assertEquals(new Shape(n, 9, 4, 4), y.getShape());
            float[] expected = NaiveConv.conv2d(x, n, c, h, h, w, 9, 3, 3, b, 2, 1, 1, 3);
            TestSupport.assertClose(expected, y.toFloatArray(), 1e-5);
        }
    }

    @Test
    void dilatedConvMatchesNaiveConvAndKeepsSizeWithSamePadding() {
        int n = 1;
        int c = 4;
        int h = 8;
        CheckedConv2d conv = DilatedConv.same(c, 5, 3, 1, 2, false);
        assertEquals(5, DilatedConv.receptiveField(3, 2));
        assertEquals(2, DilatedConv.samePadding(3, 2));
        try (NDManager m = NDManager.newBaseManager()) {
            Shape in = new Shape(n, c, h, h);
            TestSupport.init(conv, m, in);
            float[] x = TestSupport.randomFloats(n * c * h * h, 5);
            float[] w = conv.getParameters().get("weight").getArray().toFloatArray();
            NDArray y = TestSupport.infer(conv, m, m.create(x, in)).head();
            assertEquals(new Shape(n, 5, h, h), y.getShape());
            TestSupport.assertClose(NaiveConv.conv2d(x, n, c, h, h, w, 5, 3, 3, null, 1, 2, 2, 1),
                    y.toFloatArray(), 1e-5);
        }
    }

    @Test
    void stridedGroupedDilatedConvMatchesNaiveConvAndOutputSizeFormula() {
        int n = 2;
        int c = 4;
        int h = 9;
        CheckedConv2d conv = DilatedConv.of(c, 6, 3, 2, 1, 3, 2, true);
        long o = DilatedConv.outputSize(h, 3, 2, 1, 3);
        assertEquals(3, o);
        try (NDManager m = NDManager.newBaseManager()) {
            Shape in = new Shape(n, c, h, h);
            TestSupport.init(conv, m, in);
            float[] x = TestSupport.randomFloats(n * c * h * h, 6);
            float[] w = conv.getParameters().get("weight").getArray().toFloatArray();
            float[] b = TestSupport.randomFloats(6, 8);
            conv.getParameters().get("bias").getArray().set(b);
            NDArray y = TestSupport.infer(conv, m, m.create(x, in)).head();
            assertEquals(new Shape(n, 6, o, o), y.getShape());
            TestSupport.assertClose(NaiveConv.conv2d(x, n, c, h, h, w, 6, 3, 3, b, 2, 1, 3, 2),
                    y.toFloatArray(), 1e-5);
        }
    }

    @Test
    void badInputNamesBlockAndExpectedShape() {
        CheckedConv2d conv = GroupedConv.of(6, 4, 3, 1, 1, 2, false);
        try (NDManager m = NDManager.newBaseManager()) {
            assertMessage(conv, new Shape(6, 8, 8), "GroupedConv(groups=2)", "(N, C=6, H, W)");
            assertMessage(conv, new Shape(1, 4, 8, 8), "GroupedConv(groups=2)", "(N, C=6, H, W)");
            TestSupport.init(conv, m, new Shape(1, 6, 8, 8));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TestSupport.infer(conv, m, m.ones(new Shape(1, 5, 8, 8))));
            assertTrue(e.getMessage().contains("GroupedConv(groups=2)") && e.getMessage().contains("C=6"),
                    e.getMessage());
        }
        // channels not divisible by groups: at construction, and at the first input when inferred
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GroupedConv.of(5, 4, 3, 1, 1, 2, false));
        assertTrue(e.getMessage().contains("in_channels=5 is not divisible by groups=2"), e.getMessage());
        assertMessage(GroupedConv.of(0, 4, 3, 1, 1, 2, false), new Shape(1, 5, 8, 8),
                "GroupedConv(groups=2)", "divisible by groups=2");
        // too small for the dilated kernel (receptive field 5, no padding)
        assertMessage(DilatedConv.of(2, 2, 3, 1, 0, 2, 1, false), new Shape(1, 2, 4, 4),
                "DilatedConv(dilation=2)", "too small");
    }

    @Test
    void inferredChannelsAreEnforcedAfterInitialization() {
        CheckedConv2d conv = GroupedConv.of(0, 4, 1, 1, 0, 2, false);
        try (NDManager m = NDManager.newBaseManager()) {
            TestSupport.init(conv, m, new Shape(1, 6, 4, 4));
            assertEquals(new Shape(4, 3, 1, 1), conv.getParameters().get("weight").getArray().getShape());
            assertMessage(conv, new Shape(1, 4, 4, 4), "GroupedConv(groups=2)", "(N, C=6, H, W)");
        }
    }

    @Test
    void groupedAndDilatedConvsTrain() {
        TestSupport.assertTrains(GroupedConv.of(4, 6, 3, 1, 1, 2, true), new Shape(2, 4, 6, 6), 5, 0.1f);
        TestSupport.assertTrains(DilatedConv.same(4, 4, 3, 1, 2, true), new Shape(2, 4, 6, 6), 5, 0.1f);
    }

    static void assertMessage(Block block, Shape input, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> block.getOutputShapes(new Shape[] {input}));
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "'" + part + "' missing in: " + e.getMessage());
        }
    }
}
