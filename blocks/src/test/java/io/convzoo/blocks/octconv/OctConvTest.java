package io.convzoo.blocks.octconv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.util.Pair;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.Resampling;
import io.convzoo.blocks.TestSupport;
import io.convzoo.blocks.octconv.OctConvReference.T;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** OctConv against the official layout (names, channel split, shapes) and a loop reference. */
class OctConvTest {

    private static OctConv oct(int in, int out, double aIn, double aOut, int stride) {
        return OctConv.builder().setChannels(in, out).setKernel(3).optPadding(1)
                .optAlpha(aIn, aOut).optStride(stride).build();
    }

    /** Input shapes for a block at high resolution {@code size}: (high[, low at size/2]). */
    private static Shape[] inputs(OctConv b, int batch, int size) {
        Shape high = new Shape(batch, b.getHighInChannels(), size, size);
        return b.hasLowIn()
                ? new Shape[] {high, new Shape(batch, b.getLowInChannels(), size / 2, size / 2)}
                : new Shape[] {high};
    }

    private static List<String> childNames(Block b) {
        List<String> names = new ArrayList<>();
        for (Pair<String, Block> c : b.getChildren()) {
            names.add(c.getKey().substring(2));
        }
        return names;
    }

    private static List<String> weightShapes(OctConv b) {
        List<String> out = new ArrayList<>();
        for (Pair<String, Block> c : b.getChildren()) {
            for (var p : c.getValue().getParameters()) {
                out.add(c.getKey().substring(2) + "." + p.getKey() + " " + p.getValue().getArray().getShape());
            }
        }
        return out;
    }

    // Expected child lists and weight shapes were printed by the official OctaveConv (PyTorch 1.13).
    @Test
    void firstNormalLastShapesNamesAndParameterCounts() {
        try (NDManager m = NDManager.newBaseManager()) {
            OctConv first = oct(8, 16, 0, 0.5, 1);
            TestSupport.init(first, m, inputs(first, 2, 8));
            assertEquals(List.of("conv_h2l", "conv_h2h"), childNames(first));
            assertArrayEquals(new Shape[] {new Shape(2, 8, 8, 8), new Shape(2, 8, 4, 4)},
                    first.getOutputShapes(inputs(first, 2, 8)));
            assertEquals(1152, Layers.countParameters(first));

            OctConv normal = oct(16, 16, 0.5, 0.5, 1);
            TestSupport.init(normal, m, inputs(normal, 2, 8));
            assertEquals(List.of("conv_l2l", "conv_l2h", "conv_h2l", "conv_h2h"), childNames(normal));
            assertArrayEquals(new Shape[] {new Shape(2, 8, 8, 8), new Shape(2, 8, 4, 4)},
                    normal.getOutputShapes(inputs(normal, 2, 8)));
            assertEquals(2304, Layers.countParameters(normal));

            OctConv last = oct(16, 8, 0.5, 0, 1);
            TestSupport.init(last, m, inputs(last, 2, 8));
            assertEquals(List.of("conv_l2h", "conv_h2h"), childNames(last));
            assertArrayEquals(new Shape[] {new Shape(2, 8, 8, 8)}, last.getOutputShapes(inputs(last, 2, 8)));
            assertEquals(1152, Layers.countParameters(last));
        }
    }

    @Test
    void strideTwoHalvesBothFrequencies() {
        try (NDManager m = NDManager.newBaseManager()) {
            OctConv first = oct(8, 16, 0, 0.5, 2);
            TestSupport.init(first, m, inputs(first, 1, 8));
            assertArrayEquals(new Shape[] {new Shape(1, 8, 4, 4), new Shape(1, 8, 2, 2)},
                    first.getOutputShapes(inputs(first, 1, 8)));
            OctConv normal = oct(16, 32, 0.5, 0.5, 2);
            TestSupport.init(normal, m, inputs(normal, 1, 8));
            assertArrayEquals(new Shape[] {new Shape(1, 16, 4, 4), new Shape(1, 16, 2, 2)},
                    normal.getOutputShapes(inputs(normal, 1, 8)));
            assertEquals(16 * 32 * 9, Layers.countParameters(normal));
            OctConv last = oct(16, 8, 0.5, 0, 2);
            TestSupport.init(last, m, inputs(last, 1, 8));
            assertArrayEquals(new Shape[] {new Shape(1, 8, 4, 4)}, last.getOutputShapes(inputs(last, 1, 8)));
            OctConv plain = oct(8, 8, 0, 0, 2);
            TestSupport.init(plain, m, inputs(plain, 1, 7));
            // A plain (alpha 0/0) stride-2 OctConv floors odd sizes like PyTorch's AvgPool2d.
            assertArrayEquals(new Shape[] {new Shape(1, 8, 3, 3)}, plain.getOutputShapes(inputs(plain, 1, 7)));
        }
    }

    @Test
    void channelSplitTruncatesAsOfficialAndGroupsFollowAlpha() {
        try (NDManager m = NDManager.newBaseManager()) {
            OctConv quarter = oct(6, 10, 0.25, 0.25, 1);
            TestSupport.init(quarter, m, inputs(quarter, 1, 4));
            assertEquals(List.of("conv_l2l.weight (2, 1, 3, 3)", "conv_l2h.weight (8, 1, 3, 3)",
                    "conv_h2l.weight (2, 5, 3, 3)", "conv_h2h.weight (8, 5, 3, 3)"), weightShapes(quarter));
            assertEquals(540, Layers.countParameters(quarter));

            OctConv grouped = OctConv.builder().setChannels(8, 8).setKernel(3).optPadding(1).optGroups(4).build();
            TestSupport.init(grouped, m, inputs(grouped, 1, 4));
            assertEquals(List.of("conv_l2l.weight (4, 2, 3, 3)", "conv_l2h.weight (4, 1, 3, 3)",
                    "conv_h2l.weight (4, 1, 3, 3)", "conv_h2h.weight (4, 2, 3, 3)"), weightShapes(grouped));
            assertEquals(216, Layers.countParameters(grouped));

            OctConv depthwise = OctConv.builder().setChannels(8, 8).setKernel(3).optPadding(1).optGroups(8).build();
            TestSupport.init(depthwise, m, inputs(depthwise, 1, 4));
            assertEquals(List.of("conv_l2l.weight (4, 1, 3, 3)", "conv_h2h.weight (4, 1, 3, 3)"), weightShapes(depthwise));
            assertEquals(72, Layers.countParameters(depthwise));

            OctConv biased = OctConv.builder().setChannels(8, 8).setKernel(3).optPadding(1).optGroups(2).optBias(true).build();
            TestSupport.init(biased, m, inputs(biased, 1, 4));
            assertEquals(448, Layers.countParameters(biased));
        }
    }

    @ParameterizedTest(name = "in {0} out {1} alpha {2}->{3} stride {4} groups {5} bias {6}")
    @CsvSource({
        "8, 16, 0, 0.5, 1, 1, false",
        "8, 16, 0, 0.5, 2, 1, false",
        "16, 16, 0.5, 0.5, 1, 1, false",
        "16, 12, 0.5, 0.5, 2, 1, false",
        "16, 8, 0.5, 0, 1, 1, false",
        "16, 8, 0.5, 0, 2, 1, false",
        "6, 10, 0.25, 0.25, 1, 1, true",
        "8, 8, 0.5, 0.5, 1, 4, true",
        "8, 8, 0.5, 0.5, 2, 8, false",
        "6, 6, 0, 0, 2, 1, true",
    })
    void matchesLoopReference(int in, int out, double aIn, double aOut, int stride, int groups, boolean bias) {
        try (NDManager m = NDManager.newBaseManager()) {
            OctConv block = OctConv.builder().setChannels(in, out).setKernel(3).optPadding(1)
                    .optAlpha(aIn, aOut).optStride(stride).optGroups(groups).optBias(bias).build();
            Shape[] shapes = inputs(block, 2, 8);
            TestSupport.init(block, m, shapes);
            // Non-zero biases so that a dropped bias would show.
            block.getParameters().forEach(p -> {
                if (p.getKey().endsWith("bias")) {
                    p.getValue().getArray().set(TestSupport.randomFloats((int) p.getValue().getArray().size(), 5));
                }
            });
            NDArray xh = TestSupport.random(m, shapes[0], 1);
            NDArray xl = block.hasLowIn() ? TestSupport.random(m, shapes[1], 2) : null;
            NDList y = xl == null ? TestSupport.infer(block, m, xh) : TestSupport.infer(block, m, xh, xl);

            T rh = new T(xh.toFloatArray(), 2, (int) shapes[0].get(1), 8, 8);
            T rl = xl == null ? null : new T(xl.toFloatArray(), 2, (int) shapes[1].get(1), 4, 4);
            T[] expected = OctConvReference.forward(block, rh, rl, 3, 1);

            assertEquals(block.outputArity(), y.size());
            assertEquals(new Shape(2, expected[0].c(), expected[0].h(), expected[0].w()), y.get(0).getShape());
            TestSupport.assertClose(expected[0].v(), y.get(0).toFloatArray(), 1e-4);
            if (block.hasLowOut()) {
                assertEquals(new Shape(2, expected[1].c(), expected[1].h(), expected[1].w()), y.get(1).getShape());
                TestSupport.assertClose(expected[1].v(), y.get(1).toFloatArray(), 1e-4);
            } else {
                assertNull(expected[1]);
            }
        }
    }

    @Test
    void upsampleAndPoolMatchLoops() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = TestSupport.random(m, new Shape(1, 2, 4, 6), 3);
            T t = new T(x.toFloatArray(), 1, 2, 4, 6);
            TestSupport.assertClose(OctConvReference.upsample(t).v(), Resampling.nearestUpsample2x(x).toFloatArray(), 0);
            TestSupport.assertClose(OctConvReference.pool(t).v(), Resampling.avgPool2x2(x).toFloatArray(), 1e-6);

            NDArray high = TestSupport.random(m, new Shape(1, 2, 8, 12), 4);
            float[] expected = high.toFloatArray();
            float[] up = OctConvReference.upsample(t).v();
            for (int i = 0; i < expected.length; i++) {
                expected[i] += up[i];
            }
            // Training: a new array, the summands untouched.
            NDArray sum = Resampling.addUpsampled(high, x, false);
            TestSupport.assertClose(expected, sum.toFloatArray(), 1e-6);
            assertNotSame(high, sum);
            assertTrue(!x.isReleased() && !high.isReleased());
            // Eval: the sum is written into high (a fresh conv output in a forward), low is freed.
            NDArray inPlace = Resampling.addUpsampled(high, x, true);
            assertSame(high, inPlace);
            TestSupport.assertClose(expected, inPlace.toFloatArray(), 1e-6);
            assertTrue(x.isReleased(), "the low summand is freed once added");
        }
    }

    @Test
    void missingLowPartIsRejectedWithTheExpectedInputs() {
        try (NDManager m = NDManager.newBaseManager()) {
            OctConv normal = oct(16, 16, 0.5, 0.5, 1);
            TestSupport.init(normal, m, inputs(normal, 1, 8));
            NDArray onlyHigh = m.zeros(new Shape(1, 8, 8, 8));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TestSupport.infer(normal, m, onlyHigh));
            assertTrue(e.getMessage().startsWith("OctConv(16->16"), e.getMessage());
            assertTrue(e.getMessage().contains("(high (N, 8, H, W), low (N, 8, H/2, W/2))"), e.getMessage());
            assertTrue(e.getMessage().contains("low-frequency part is missing"), e.getMessage());

            // "first" reads the high part only: a pair is an error too.
            OctConv first = oct(8, 16, 0, 0.5, 1);
            TestSupport.init(first, m, inputs(first, 1, 8));
            e = assertThrows(IllegalArgumentException.class,
                    () -> TestSupport.infer(first, m, m.zeros(new Shape(1, 8, 8, 8)), m.zeros(new Shape(1, 8, 4, 4))));
            assertTrue(e.getMessage().contains("expected 1 input array(s) (high (N, 8, H, W)) only"), e.getMessage());
        }
    }

    @Test
    void wrongChannelsRankAndPairSizesAreRejected() {
        try (NDManager m = NDManager.newBaseManager()) {
            OctConv normal = oct(16, 16, 0.5, 0.5, 1);
            TestSupport.init(normal, m, inputs(normal, 1, 8));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TestSupport.infer(normal, m,
                    m.zeros(new Shape(1, 9, 8, 8)), m.zeros(new Shape(1, 8, 4, 4))));
            assertTrue(e.getMessage().contains("OctConv(16->16") && e.getMessage().contains("high input")
                    && e.getMessage().contains("(N, C=8, H, W)"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> TestSupport.infer(normal, m,
                    m.zeros(new Shape(8, 8, 8)), m.zeros(new Shape(1, 8, 4, 4))));
            assertTrue(e.getMessage().contains("rank 4"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> TestSupport.infer(normal, m,
                    m.zeros(new Shape(1, 8, 8, 8)), m.zeros(new Shape(1, 8, 3, 3))));
            assertTrue(e.getMessage().contains("exactly twice the low part"), e.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> normal.getOutputShapes(new Shape[] {new Shape(1, 8, 8, 8), new Shape(1, 8, 3, 3)}));
        }
    }

    @Test
    void oddSpatialSizeGivesAClearError() {
        try (NDManager m = NDManager.newBaseManager()) {
            OctConv first = oct(8, 16, 0, 0.5, 1);
            TestSupport.init(first, m, inputs(first, 1, 8));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TestSupport.infer(first, m, m.zeros(new Shape(1, 8, 7, 7))));
            assertTrue(e.getMessage().startsWith("OctConv(8->16") && e.getMessage().contains("odd spatial size")
                    && e.getMessage().contains("(1, 8, 7, 7)"), e.getMessage());
            OctConv normalStride2 = oct(16, 16, 0.5, 0.5, 2);
            TestSupport.init(normalStride2, m, inputs(normalStride2, 1, 8));
            // A valid 6/3 input pair: stride 2 gives high 3, but low floor(3/2) = 1, not 3/2.
            e = assertThrows(IllegalArgumentException.class, () -> normalStride2.getOutputShapes(
                    new Shape[] {new Shape(1, 8, 6, 6), new Shape(1, 8, 3, 3)}));
            assertTrue(e.getMessage().contains("odd spatial size"), e.getMessage());
        }
    }

    @Test
    void invalidConfigurationsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> oct(8, 8, 1.0, 0.5, 1));
        assertThrows(IllegalArgumentException.class, () -> oct(8, 8, 0.5, 0.5, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> oct(1, 8, 0.5, 0.5, 1));
        assertTrue(e.getMessage().contains("no low-frequency channel"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> OctConv.builder().setChannels(12, 8).setKernel(3)
                .optAlpha(0.25, 0.5).optGroups(4).build());
        assertTrue(e.getMessage().contains("high output channels=4 is not divisible by conv_h2h groups=3"),
                e.getMessage());
    }

    @ParameterizedTest(name = "alpha {0}->{1} stride {2}")
    @CsvSource({"0.5, 0.5, 1", "0.5, 0, 1", "0.5, 0.5, 2"})
    void trainingForwardHasExactInputGradients(double aIn, double aOut, int stride) {
        // Stride 1 with a low input: the low-to-high path is the upsample-and-add of a training forward.
        OctConv block = oct(8, 8, aIn, aOut, stride);
        TestSupport.assertInputGradientMatchesCentralDifferences(
                new SingleArrayAdapter(block, block.getHighInChannels(), block.hasLowIn()), new Shape(2, 8, 8, 8), 5,
                left -> { });
    }

    @ParameterizedTest(name = "alpha {0}->{1} stride {2}")
    @CsvSource({"0, 0.5, 1", "0.5, 0.5, 1", "0.5, 0.5, 2", "0.5, 0, 1", "0.5, 0, 2"})
    void trains(double aIn, double aOut, int stride) {
        OctConv block = oct(8, 8, aIn, aOut, stride);
        TestSupport.assertTrains(new SingleArrayAdapter(block, block.getHighInChannels(), block.hasLowIn()),
                new Shape(2, 8, 8, 8), 5, 0.05f);
    }
}
