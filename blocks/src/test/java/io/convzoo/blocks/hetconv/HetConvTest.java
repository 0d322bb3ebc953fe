package io.convzoo.blocks.hetconv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import io.convzoo.blocks.ConvMath;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.NaiveConv;
import io.convzoo.blocks.TestSupport;
import io.convzoo.blocks.hetconv.HetConv.Strategy;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import org.junit.jupiter.api.Test;

/** HetConv: parameter layout and counts, numbers vs the per-channel-pair reference, checks, training. */
class HetConvTest {

    /**
     * Java port of the reference module: for every output n and input i, a single-channel 3×3
     * (padding 1) conv when (i - n) mod p == 0, else a 1×1 conv, all with the same stride, summed.
     * Kernels are read in the block's layout (k-th 3×3 / j-th 1×1 input of n in ascending order).
     */
    static float[] reference(float[] x, int batch, int in, int h, int w, float[] w3, float[] w1, float[] bias,
                             int out, int part, int stride) {
        int oh = (int) ConvMath.outputSize(h, 3, stride, 1, 1);
        int ow = (int) ConvMath.outputSize(w, 3, stride, 1, 1);
        int c3 = in / part;
        int c1 = in - c3;
        float[] y = new float[batch * out * oh * ow];
        for (int n = 0; n < out; n++) {
            int k3 = 0;
            int k1 = 0;
            for (int i = 0; i < in; i++) {
                float[] xi = channel(x, batch, in, h * w, i);
                float[] part3or1;
                if (Math.floorMod(i - n, part) == 0) {
                    float[] kernel = new float[9];
                    System.arraycopy(w3, (n * c3 + k3++) * 9, kernel, 0, 9);
                    part3or1 = NaiveConv.conv2d(xi, batch, 1, h, w, kernel, 1, 3, 3, null, stride, 1, 1, 1);
                } else {
                    float[] kernel = {w1[n * c1 + k1++]};
                    part3or1 = NaiveConv.conv2d(xi, batch, 1, h, w, kernel, 1, 1, 1, null, stride, 0, 1, 1);
                }
                for (int b = 0; b < batch; b++) {
                    for (int s = 0; s < oh * ow; s++) {
                        y[(b * out + n) * oh * ow + s] += part3or1[b * oh * ow + s];
                    }
                }
            }
            for (int b = 0; bias != null && b < batch; b++) {
                for (int s = 0; s < oh * ow; s++) {
                    y[(b * out + n) * oh * ow + s] += bias[n];
                }
            }
        }
        return y;
    }

    private static float[] channel(float[] x, int batch, int c, int plane, int i) {
        float[] r = new float[batch * plane];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(x, (b * c + i) * plane, r, b * plane, plane);
        }
        return r;
    }

    @Test
    void exactParameterShapesAndCounts() {
        try (NDManager m = NDManager.newBaseManager()) {
            HetConv p2 = new HetConv(6, 4, 2);
            TestSupport.init(p2, m, new Shape(1, 6, 8, 8));
            assertEquals(new Shape(4, 3, 3, 3), p2.getParameters().get("weight3x3").getArray().getShape());
            assertEquals(new Shape(4, 3, 1, 1), p2.getParameters().get("weight1x1").getArray().getShape());
            assertEquals(4 * (9 * 3 + 3), Layers.countParameters(p2));
            assertEquals(2, p2.getParameters().size(), "bias is off by default");

            HetConv p3 = new HetConv(6, 4, 3, 2, true);
            TestSupport.init(p3, m, new Shape(1, 6, 8, 8));
            assertEquals(4 * (9 * 2 + 4) + 4, Layers.countParameters(p3));
            assertEquals(HetConv.parameterCount(6, 4, 3, true), Layers.countParameters(p3));

            HetConv wide = new HetConv(64, 64, 4);
            TestSupport.init(wide, m, new Shape(1, 64, 4, 4));
            assertEquals(64 * (9 * 16 + 48), Layers.countParameters(wide));

            HetConv p1 = new HetConv(4, 5, 1);
            TestSupport.init(p1, m, new Shape(1, 4, 4, 4));
            assertNull(p1.getParameters().get("weight1x1"));
            assertEquals(5 * 4 * 9, Layers.countParameters(p1));
        }
    }

    @Test
    void outputShapesAndMacs() {
        HetConv het = new HetConv(6, 4, 2, 2, false);
        Shape in = new Shape(2, 6, 7, 8);
        assertEquals(new Shape(2, 4, 4, 4), het.getOutputShapes(new Shape[] {in})[0]);
        // batch 2 × out elements 4*4*4, each 9*3 + 3 MACs
        assertEquals(2 * 4 * 16 * (27 + 3), het.ownMacs(new Shape[] {in}));
        assertEquals(4 * 64 * (9 * 2 + 4), new HetConv(6, 4, 3).ownMacs(new Shape[] {new Shape(1, 6, 8, 8)}));
    }

    @Test
    void matchesPerPairReference() {
        checkAgainstReference(6, 4, 2, 1, false, Strategy.DENSE_KERNEL);
        checkAgainstReference(6, 4, 2, 2, true, Strategy.DENSE_KERNEL);
        checkAgainstReference(6, 4, 3, 1, true, Strategy.DENSE_KERNEL);
        checkAgainstReference(6, 4, 3, 2, false, Strategy.DENSE_KERNEL);
        checkAgainstReference(6, 5, 6, 1, false, Strategy.DENSE_KERNEL);
        checkAgainstReference(4, 3, 1, 2, true, Strategy.DENSE_KERNEL);
        checkAgainstReference(6, 4, 2, 1, true, Strategy.GROUPED_PLUS_POINTWISE);
        checkAgainstReference(6, 4, 2, 2, false, Strategy.GROUPED_PLUS_POINTWISE);
        checkAgainstReference(6, 6, 3, 1, false, Strategy.GROUPED_PLUS_POINTWISE);
        checkAgainstReference(6, 6, 3, 2, true, Strategy.GROUPED_PLUS_POINTWISE);
    }

    private static void checkAgainstReference(int in, int out, int part, int stride, boolean bias, Strategy strategy) {
        int batch = 2;
        int h = 7;
        int w = 8;
        HetConv het = new HetConv(in, out, part, stride, bias, strategy);
        try (NDManager m = NDManager.newBaseManager()) {
            Shape shape = new Shape(batch, in, h, w);
            TestSupport.init(het, m, shape);
            float[] b = null;
            if (bias) {
                b = TestSupport.randomFloats(out, 41);
                het.getParameters().get("bias").getArray().set(b);
            }
            float[] w3 = het.getParameters().get("weight3x3").getArray().toFloatArray();
            float[] w1 = part == 1 ? new float[0] : het.getParameters().get("weight1x1").getArray().toFloatArray();
            float[] x = TestSupport.randomFloats(batch * in * h * w, 40);
            NDArray y = TestSupport.infer(het, m, m.create(x, shape)).head();
            Shape expectedShape = het.getOutputShapes(new Shape[] {shape})[0];
            assertEquals(expectedShape, y.getShape());
            float[] expected = reference(x, batch, in, h, w, w3, w1, b, out, part, stride);
            TestSupport.assertClose(expected, y.toFloatArray(), 1e-5);
        }
    }

    @Test
    void preparedKernelIsExactAndFollowsTheWeights() {
        for (Strategy strategy : Strategy.values()) {
            int batch = 2;
            int in = 8;
            int out = 8;
            int part = 4;
            Shape shape = new Shape(batch, in, 6, 7);
            HetConv het = new HetConv(in, out, part, 1, true, strategy);
            try (NDManager m = NDManager.newBaseManager()) {
                TestSupport.init(het, m, shape);
                float[] x = TestSupport.randomFloats(batch * in * 6 * 7, 50);
                NDArray input = m.create(x, shape);
                het.prepareInference(true);
                assertPrepared(het, m, input, x, shape, out, part, strategy + ", prepared");
                // Reused, not remade: a second eval forward keeps every array (the kernel among them) and adds
                // only its output.
                java.util.Set<String> before = uids(m);
                TestSupport.infer(het, m, input);
                java.util.Set<String> after = uids(m);
                assertTrue(after.containsAll(before), strategy + ": the kernel is made once");
                assertEquals(before.size() + 1, after.size(), strategy + ": one new array, the output");

                // In-place weight change as an optimizer makes it, seen after a training forward.
                NDArray w3 = het.getParameters().get("weight3x3").getArray();
                w3.set(TestSupport.randomFloats((int) w3.size(), 51));
                try (NDManager step = m.newSubManager()) {
                    het.forward(new ParameterStore(step, false), new NDList(m.create(x, shape)), true);
                }
                assertPrepared(het, m, input, x, shape, out, part, strategy + ", after a training forward");

                // Other in-place writes: preparing again picks them up.
                w3.set(TestSupport.randomFloats((int) w3.size(), 52));
                het.prepareInference(true);
                assertPrepared(het, m, input, x, shape, out, part, strategy + ", prepared again");
            }
        }
    }

    private static java.util.Set<String> uids(NDManager m) {
        return m.getManagedArrays().stream().map(NDArray::getUid).collect(java.util.stream.Collectors.toSet());
    }

    private static void assertPrepared(HetConv het, NDManager m, NDArray input, float[] x, Shape shape, int out,
                                       int part, String what) {
        float[] w3 = het.getParameters().get("weight3x3").getArray().toFloatArray();
        float[] w1 = het.getParameters().get("weight1x1").getArray().toFloatArray();
        float[] b = het.getParameters().get("bias").getArray().toFloatArray();
        float[] expected = reference(x, (int) shape.get(0), (int) shape.get(1), (int) shape.get(2), (int) shape.get(3),
                w3, w1, b, out, part, 1);
        TestSupport.assertClose(expected, TestSupport.infer(het, m, input).head().toFloatArray(), 1e-5);
    }

    @Test
    void equalsNaivePerPairBlockWithSameWeights() {
        // (stride 1, dense kernel) and (stride 2, grouped); the other pairings are covered above
        for (Strategy strategy : Strategy.values()) {
            int stride = strategy == Strategy.DENSE_KERNEL ? 1 : 2;
            int in = 6;
            int out = 4;
            int part = 2;
            HetConv het = new HetConv(in, out, part, stride, true, strategy);
            NaiveHetConv naive = new NaiveHetConv(in, out, part, stride, true);
            try (NDManager m = NDManager.newBaseManager()) {
                Shape shape = new Shape(2, in, 8, 8);
                TestSupport.init(het, m, shape);
                TestSupport.init(naive, m, shape);
                // one single-channel conv per pair, each with its own bias
                assertEquals((long) out * in, naive.getChildren().size());
                assertEquals(out * (3 * 9 + 3) + out * in, Layers.countParameters(naive));
                naive.loadKernelsFrom(het);
                for (int n = 0; n < out; n++) {
                    for (int i = 0; i < in; i++) {
                        naive.pair(n, i).getParameters().get("bias").getArray()
                                .set(new float[] {TestSupport.randomFloats(1, 100 + n * in + i)[0]});
                    }
                }
                het.getParameters().get("bias").getArray().set(naive.summedBiases());
                NDArray x = TestSupport.random(m, shape, 50);
                float[] expected = TestSupport.infer(naive, m, x).head().toFloatArray();
                NDArray y = TestSupport.infer(het, m, x).head();
                assertEquals(naive.getOutputShapes(new Shape[] {shape})[0], y.getShape());
                TestSupport.assertClose(expected, y.toFloatArray(), 1e-5);
            }
        }
    }

    @Test
    void parametersRoundTripThroughSaveAndLoad() throws Exception {
        Shape shape = new Shape(1, 6, 5, 5);
        HetConv saved = new HetConv(6, 4, 3, 1, true);
        HetConv loaded = new HetConv(6, 4, 3, 1, true);
        try (NDManager m = NDManager.newBaseManager()) {
            TestSupport.init(saved, m, shape);
            saved.getParameters().get("bias").getArray().set(TestSupport.randomFloats(4, 60));
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            saved.saveParameters(new DataOutputStream(bytes));
            loaded.loadParameters(m, new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
            NDArray x = TestSupport.random(m, shape, 61);
            TestSupport.assertClose(TestSupport.infer(saved, m, x).head().toFloatArray(),
                    TestSupport.infer(loaded, m, x).head().toFloatArray(), 0);
        }
    }

    @Test
    void badInputNamesBlockAndExpectedShape() {
        HetConv het = new HetConv(6, 4, 2);
        assertMessage(het, new Shape(6, 8, 8), "HetConv", "(N, C=6, H, W)", "rank 3");
        assertMessage(het, new Shape(1, 4, 8, 8), "HetConv", "(N, C=6, H, W)", "4 channels");
        try (NDManager m = NDManager.newBaseManager()) {
            TestSupport.init(het, m, new Shape(1, 6, 8, 8));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TestSupport.infer(het, m, m.ones(new Shape(1, 3, 8, 8))));
            assertTrue(e.getMessage().contains("HetConv") && e.getMessage().contains("C=6"), e.getMessage());
            IllegalArgumentException init = assertThrows(IllegalArgumentException.class,
                    () -> TestSupport.init(new HetConv(6, 4, 3), m, new Shape(1, 5, 8, 8)));
            assertTrue(init.getMessage().contains("HetConv"), init.getMessage());
        }
        IllegalArgumentException notDivisible = assertThrows(IllegalArgumentException.class,
                () -> new HetConv(6, 4, 4));
        assertTrue(notDivisible.getMessage().contains("HetConv: in_channels=6 is not divisible by p=4"),
                notDivisible.getMessage());
        IllegalArgumentException grouped = assertThrows(IllegalArgumentException.class,
                () -> new HetConv(6, 4, 3, 1, false, Strategy.GROUPED_PLUS_POINTWISE));
        assertTrue(grouped.getMessage().contains("out_channels=4 is not divisible by p=3"), grouped.getMessage());
    }

    private static void assertMessage(Block block, Shape input, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> block.getOutputShapes(new Shape[] {input}));
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "'" + part + "' missing in: " + e.getMessage());
        }
    }

    @Test
    void trains() {
        TestSupport.assertTrains(new HetConv(4, 4, 2, 1, true), new Shape(2, 4, 6, 6), 5, 0.1f);
        TestSupport.assertTrains(new HetConv(6, 6, 3, 2, true, Strategy.GROUPED_PLUS_POINTWISE),
                new Shape(2, 6, 6, 6), 5, 0.1f);
    }
}
