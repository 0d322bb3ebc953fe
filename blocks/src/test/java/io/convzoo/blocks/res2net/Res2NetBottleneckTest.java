package io.convzoo.blocks.res2net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.NaiveConv;
import io.convzoo.blocks.TestSupport;
import io.convzoo.blocks.layers.AvgPool;
import io.convzoo.blocks.res2net.Res2NetBottleneck.Shortcut;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Res2NetBottleneck against an independent reference: the same block composed from NaiveConv loops
 * and plain-Java BatchNorm (inference), ReLU, average pooling and SE, with the block's own random
 * weights and BN statistics. Also exact shapes, parameter counts, names, bad input and training.
 */
class Res2NetBottleneckTest {

    /** Tiny stage config of the brief: 8 input channels, planes 8 with base width 16 → width 2, s=4. */
    private static Res2NetBottleneck.Builder tiny() {
        return Res2NetBottleneck.builder().inChannels(8).planes(8).baseWidth(16).scale(4);
    }

    @Test
    void stageBlockV1StrideTwoMatchesReference() {
        checkAgainstReference(tiny().stride(2).build(), new Ref(2, 4, 2, 1, true), new Shape(2, 8, 6, 6),
                new Shape(2, 32, 3, 3));
    }

    @Test
    void stageBlockPoolsTheLastGroupEvenAtStrideOne() {
        // 8 -> 32 channels forces a downsample, hence a stage block, at stride 1 (like layer1).
        Res2NetBottleneck block = tiny().shortcut(Shortcut.V1B).build();
        assertTrue(block.isStage());
        checkAgainstReference(block, new Ref(2, 4, 1, 1, true), new Shape(1, 8, 6, 6), new Shape(1, 32, 6, 6));
    }

    @Test
    void normalBlockMatchesReference() {
        Res2NetBottleneck block = Res2NetBottleneck.builder().inChannels(32).planes(8).baseWidth(16).scale(4).build();
        assertFalse(block.isStage());
        assertFalse(block.hasDownsample());
        checkAgainstReference(block, new Ref(2, 4, 1, 1, false), new Shape(2, 32, 6, 6), new Shape(2, 32, 6, 6));
    }

    @Test
    void v1bShortcutOnOddInputUsesCeilModeWithoutPadding() {
        // 5x5 at stride 2: the v1b pool's last window is partial (ceil mode, divisor 1 there) and the
        // stage pool counts the zero padding.
        checkAgainstReference(tiny().stride(2).shortcut(Shortcut.V1B).build(), new Ref(2, 4, 2, 1, true),
                new Shape(1, 8, 5, 5), new Shape(1, 32, 3, 3));
    }

    @Test
    void res2nextWithSqueezeExciteMatchesReference() {
        // cardinality 2: width floor(8*16/64)*2 = 4 per group, grouped 3x3 convs (2 groups of 2).
        Res2NetBottleneck block = tiny().cardinality(2).squeezeExcite(true).stride(2).build();
        assertEquals(4, block.getWidth());
        checkAgainstReference(block, new Ref(4, 4, 2, 2, true), new Shape(1, 8, 6, 6), new Shape(1, 32, 3, 3));
    }

    @Test
    void scaleOneHasOneConvAndNoPool() {
        Res2NetBottleneck block = Res2NetBottleneck.builder().inChannels(16).planes(4).baseWidth(64).scale(1).build();
        checkAgainstReference(block, new Ref(4, 1, 1, 1, false), new Shape(1, 16, 4, 4), new Shape(1, 16, 4, 4));
    }

    @Test
    void avgPoolFollowsPyTorchPaddingAndCeilRules() {
        try (NDManager m = NDManager.newBaseManager()) {
            Shape shape = new Shape(1, 2, 5, 5);
            float[] x = TestSupport.randomFloats((int) shape.size(), 9);
            int[][] configs = {{3, 2, 1, 0, 1}, {3, 2, 1, 0, 0}, {3, 2, 1, 1, 0}, {2, 2, 0, 1, 0}, {3, 1, 1, 0, 1}};
            for (int[] c : configs) {
                boolean ceil = c[3] == 1;
                boolean countPad = c[4] == 1;
                AvgPool pool = new AvgPool(c[0], c[1], c[2], ceil, countPad);
                Tensor expected = avgPool(new Tensor(x, shape), c[0], c[1], c[2], ceil, countPad);
                NDArray actual = TestSupport.infer(pool, m, m.create(x, shape)).head();
                assertEquals(expected.shape(), actual.getShape(), pool.toString());
                assertEquals(expected.shape(), pool.getOutputShapes(new Shape[] {shape})[0], pool.toString());
                TestSupport.assertClose(expected.data, actual.toFloatArray(), 1e-6);
            }
        }
    }

    @Test
    void parameterCountsAndOfficialNames() {
        try (NDManager m = NDManager.newBaseManager()) {
            Res2NetBottleneck v1 = tiny().stride(2).build();
            TestSupport.init(v1, m, new Shape(1, 8, 6, 6));
            // conv1 8*8 + bn1 2*8 + convs 3*(2*2*9) + bns 3*(2*2) + conv3 8*32 + bn3 2*32 + ds conv 8*32 + ds bn 2*32
            assertEquals(64 + 16 + 108 + 12 + 256 + 64 + 256 + 64, Layers.countParameters(v1));
            assertEquals(List.of("conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
                    "convs.0.weight", "convs.1.weight", "convs.2.weight",
                    "bns.0.weight", "bns.0.bias", "bns.0.running_mean", "bns.0.running_var",
                    "bns.1.weight", "bns.1.bias", "bns.1.running_mean", "bns.1.running_var",
                    "bns.2.weight", "bns.2.bias", "bns.2.running_mean", "bns.2.running_var",
                    "conv3.weight", "bn3.weight", "bn3.bias", "bn3.running_mean", "bn3.running_var",
                    "downsample.0.weight", "downsample.1.weight", "downsample.1.bias",
                    "downsample.1.running_mean", "downsample.1.running_var"),
                    new ArrayList<>(officialParameters(v1).keySet()));

            Res2NetBottleneck v1b = tiny().stride(2).shortcut(Shortcut.V1B).build();
            TestSupport.init(v1b, m, new Shape(1, 8, 6, 6));
            assertEquals(840, Layers.countParameters(v1b));
            assertTrue(officialParameters(v1b).containsKey("downsample.1.weight"));
            assertTrue(officialParameters(v1b).containsKey("downsample.2.running_var"));

            // SE over 32 channels: timm reduces to max(8, round8(32/16)) = 8; fc1 32*8+8, fc2 8*32+32.
            Res2NetBottleneck se = tiny().stride(2).squeezeExcite(true).build();
            TestSupport.init(se, m, new Shape(1, 8, 6, 6));
            assertEquals(840 + 264 + 288, Layers.countParameters(se));
            assertTrue(officialParameters(se).containsKey("se.fc2.bias"));

            // Res2NeXt: grouped 3x3 convs of 4 channels in 2 groups: 3*(4*2*9) instead of 108;
            // conv1 8*16, bn1 2*16, bns 3*8, conv3 16*32.
            Res2NetBottleneck next = tiny().cardinality(2).stride(2).build();
            TestSupport.init(next, m, new Shape(1, 8, 6, 6));
            assertEquals(128 + 32 + 216 + 24 + 512 + 64 + 256 + 64, Layers.countParameters(next));
        }
    }

    @Test
    void outputShapesOfOfficialLayerOneBlock() {
        // res2net50_26w_4s layer2.0: 256 -> 512 channels, width 52, 56x56 -> 28x28.
        Res2NetBottleneck block = Res2NetBottleneck.builder().inChannels(256).planes(128).stride(2).build();
        assertEquals(52, block.getWidth());
        assertEquals(new Shape(1, 512, 28, 28), block.getOutputShapes(new Shape[] {new Shape(1, 256, 56, 56)})[0]);
    }

    @Test
    void zeroInitLastBnStartsAsTheShortcut() {
        try (NDManager m = NDManager.newBaseManager()) {
            Res2NetBottleneck block = Res2NetBottleneck.builder().inChannels(32).planes(8).baseWidth(16)
                    .zeroInitLastBn(true).build();
            TestSupport.init(block, m, new Shape(1, 32, 4, 4));
            assertEquals(0f, officialParameters(block).get("bn3.weight").getArray().abs().sum().getFloat());
            NDArray x = TestSupport.random(m, new Shape(1, 32, 4, 4), 3);
            NDArray y = TestSupport.infer(block, m, x).head();
            // bn3 outputs its beta (0), so the block is relu(x).
            TestSupport.assertClose(x.maximum(0f).toFloatArray(), y.toFloatArray(), 1e-6);
        }
    }

    @Test
    void badInputNamesTheBlockAndShape() {
        try (NDManager m = NDManager.newBaseManager()) {
            Res2NetBottleneck block = tiny().build();
            IllegalArgumentException wrongChannels = assertThrows(IllegalArgumentException.class,
                    () -> block.getOutputShapes(new Shape[] {new Shape(1, 6, 6, 6)}));
            assertTrue(wrongChannels.getMessage().contains("Res2NetBottleneck"), wrongChannels.getMessage());
            assertTrue(wrongChannels.getMessage().contains("(N, C=8, H, W)"), wrongChannels.getMessage());

            IllegalArgumentException wrongRank = assertThrows(IllegalArgumentException.class,
                    () -> block.getOutputShapes(new Shape[] {new Shape(8, 6, 6)}));
            assertTrue(wrongRank.getMessage().contains("Res2NetBottleneck"), wrongRank.getMessage());
            assertTrue(wrongRank.getMessage().contains("rank"), wrongRank.getMessage());

            TestSupport.init(block, m, new Shape(1, 8, 6, 6));
            NDArray bad = m.zeros(new Shape(1, 4, 6, 6));
            IllegalArgumentException inForward = assertThrows(IllegalArgumentException.class,
                    () -> TestSupport.infer(block, m, bad));
            assertTrue(inForward.getMessage().contains("Res2NetBottleneck: expected an input of shape (N, C=8, H, W)"),
                    inForward.getMessage());

            IllegalArgumentException normalStrided = assertThrows(IllegalArgumentException.class,
                    () -> tiny().stage(false).stride(2).build());
            assertTrue(normalStrided.getMessage().contains("Res2NetBottleneck"), normalStrided.getMessage());
            assertThrows(IllegalArgumentException.class, () -> tiny().baseWidth(4).build()); // width 0
        }
    }

    @Test
    void trainsStageAndNormalV1() {
        TestSupport.assertTrains(tiny().stride(2).build(), new Shape(2, 8, 6, 6), 5, 0.05f);
        TestSupport.assertTrains(Res2NetBottleneck.builder().inChannels(32).planes(8).baseWidth(16).build(),
                new Shape(2, 32, 6, 6), 5, 0.05f);
    }

    @Test
    void trainsV1bSeAndRes2next() {
        TestSupport.assertTrains(tiny().stride(2).shortcut(Shortcut.V1B).build(), new Shape(2, 8, 6, 6), 5, 0.05f);
        TestSupport.assertTrains(tiny().stride(2).squeezeExcite(true).build(), new Shape(2, 8, 6, 6), 5, 0.05f);
        TestSupport.assertTrains(tiny().cardinality(2).build(), new Shape(2, 8, 6, 6), 5, 0.05f);
    }

    // ---------------------------------------------------------------------------------------------
    // Reference implementation in plain Java.

    /** Initializes the block, randomizes every parameter and BN statistic, compares with the reference. */
    private static void checkAgainstReference(Res2NetBottleneck block, Ref ref, Shape input, Shape expectedOut) {
        try (NDManager m = NDManager.newBaseManager()) {
            TestSupport.init(block, m, input);
            assertEquals(expectedOut, block.getOutputShapes(new Shape[] {input})[0]);
            Map<String, float[]> w = new LinkedHashMap<>();
            long seed = 100;
            for (Map.Entry<String, Parameter> e : officialParameters(block).entrySet()) {
                NDArray a = e.getValue().getArray();
                float[] v = TestSupport.randomFloats((int) a.size(), seed++);
                if (e.getKey().endsWith("running_var")) {
                    for (int i = 0; i < v.length; i++) {
                        v[i] = 0.5f + Math.abs(v[i]); // positive variances
                    }
                } else if (e.getKey().endsWith(".weight") && a.getShape().dimension() == 1) {
                    for (int i = 0; i < v.length; i++) {
                        v[i] = 0.5f + 0.5f * v[i]; // BN gammas around 0.5..1
                    }
                }
                a.set(v);
                w.put(e.getKey(), v);
            }
            float[] x = TestSupport.randomFloats((int) input.size(), 42);
            NDArray out = TestSupport.infer(block, m, m.create(x, input)).head();
            assertEquals(expectedOut, out.getShape());
            Tensor expected = reference(ref, expectedOut.get(1), w, new Tensor(x, input));
            TestSupport.assertClose(expected.data, out.toFloatArray(), 1e-4);
        }
    }

    /** The reference's configuration, stated by each test independently of the block. */
    private record Ref(int width, int scale, int stride, int cardinality, boolean stage) {}

    /** The Res2Net bottleneck forward, written out from the paper/official forward. */
    private static Tensor reference(Ref ref, long outChannels, Map<String, float[]> w, Tensor x) {
        int width = ref.width();
        int scale = ref.scale();
        int stride = ref.stride();
        int groups = ref.cardinality();
        int convCount = scale == 1 ? 1 : scale - 1;
        Tensor out = relu(bn(conv(x, w.get("conv1.weight"), width * scale, 1, 1, 0, 1), w, "bn1"));
        List<Tensor> ys = new ArrayList<>();
        Tensor sp = null;
        for (int i = 0; i < convCount; i++) {
            Tensor split = out.channels(i * width, width);
            Tensor in = (i == 0 || ref.stage()) ? split : add(sp, split);
            sp = relu(bn(conv(in, w.get("convs." + i + ".weight"), width, 3, stride, 1, groups), w, "bns." + i));
            ys.add(sp);
        }
        if (scale > 1) {
            Tensor last = out.channels(convCount * width, width);
            ys.add(ref.stage() ? avgPool(last, 3, stride, 1, false, true) : last);
        }
        Tensor merged = concat(ys);
        Tensor y = bn(conv(merged, w.get("conv3.weight"), (int) outChannels, 1, 1, 0, 1), w, "bn3");
        if (w.containsKey("se.fc1.weight")) {
            y = squeezeExcite(y, w);
        }
        Tensor shortcut = x;
        if (w.containsKey("downsample.2.weight")) { // v1b: pool, conv, bn
            Tensor pooled = avgPool(x, stride, stride, 0, true, false);
            shortcut = bn(conv(pooled, w.get("downsample.1.weight"), (int) outChannels, 1, 1, 0, 1), w, "downsample.2");
        } else if (w.containsKey("downsample.0.weight")) { // v1: strided conv, bn
            shortcut = bn(conv(x, w.get("downsample.0.weight"), (int) outChannels, 1, stride, 0, 1), w, "downsample.1");
        }
        return relu(add(y, shortcut));
    }

    private static Tensor squeezeExcite(Tensor y, Map<String, float[]> w) {
        int hw = y.h * y.w;
        float[] mean = new float[y.n * y.c];
        for (int i = 0; i < mean.length; i++) {
            double s = 0;
            for (int p = 0; p < hw; p++) {
                s += y.data[i * hw + p];
            }
            mean[i] = (float) (s / hw);
        }
        float[] fc1 = w.get("se.fc1.weight");
        int reduced = fc1.length / y.c;
        Tensor squeezed = new Tensor(mean, new Shape(y.n, y.c, 1, 1));
        Tensor hidden = relu(new Tensor(NaiveConv.conv2d(squeezed.data, y.n, y.c, 1, 1, fc1, reduced, 1, 1,
                w.get("se.fc1.bias"), 1, 0, 1, 1), new Shape(y.n, reduced, 1, 1)));
        float[] gate = NaiveConv.conv2d(hidden.data, y.n, reduced, 1, 1, w.get("se.fc2.weight"), y.c, 1, 1,
                w.get("se.fc2.bias"), 1, 0, 1, 1);
        float[] r = new float[y.data.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = y.data[i] * (float) (1 / (1 + Math.exp(-gate[i / hw])));
        }
        return new Tensor(r, y.shape());
    }

    private static Tensor conv(Tensor x, float[] weight, int out, int k, int stride, int pad, int groups) {
        float[] r = NaiveConv.conv2d(x.data, x.n, x.c, x.h, x.w, weight, out, k, k, null, stride, pad, 1, groups);
        int oh = (x.h + 2 * pad - k) / stride + 1;
        int ow = (x.w + 2 * pad - k) / stride + 1;
        return new Tensor(r, new Shape(x.n, out, oh, ow));
    }

    /** BatchNorm in inference mode with PyTorch's eps. */
    private static Tensor bn(Tensor x, Map<String, float[]> w, String name) {
        float[] gamma = w.get(name + ".weight");
        float[] beta = w.get(name + ".bias");
        float[] mean = w.get(name + ".running_mean");
        float[] var = w.get(name + ".running_var");
        float[] r = new float[x.data.length];
        int hw = x.h * x.w;
        for (int i = 0; i < r.length; i++) {
            int c = (i / hw) % x.c;
            r[i] = (float) ((x.data[i] - mean[c]) / Math.sqrt(var[c] + 1e-5) * gamma[c] + beta[c]);
        }
        return new Tensor(r, x.shape());
    }

    private static Tensor relu(Tensor x) {
        float[] r = new float[x.data.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = Math.max(0f, x.data[i]);
        }
        return new Tensor(r, x.shape());
    }

    private static Tensor add(Tensor a, Tensor b) {
        assertEquals(a.shape(), b.shape(), "residual shapes");
        return new Tensor(NaiveConv.add(a.data, b.data), a.shape());
    }

    /** nn.AvgPool2d(kernel, stride, pad, ceil_mode, count_include_pad) by direct loops. */
    private static Tensor avgPool(Tensor x, int k, int stride, int pad, boolean ceil, boolean countPad) {
        int oh = poolSize(x.h, k, stride, pad, ceil);
        int ow = poolSize(x.w, k, stride, pad, ceil);
        float[] r = new float[x.n * x.c * oh * ow];
        for (int nc = 0; nc < x.n * x.c; nc++) {
            for (int y = 0; y < oh; y++) {
                for (int xo = 0; xo < ow; xo++) {
                    int y0 = y * stride - pad;
                    int x0 = xo * stride - pad;
                    // count_include_pad counts padded cells but never cells past the padded border.
                    int y1 = Math.min(y0 + k, x.h + pad);
                    int x1 = Math.min(x0 + k, x.w + pad);
                    int padCount = (y1 - y0) * (x1 - x0);
                    double s = 0;
                    int inside = 0;
                    for (int iy = Math.max(y0, 0); iy < Math.min(y1, x.h); iy++) {
                        for (int ix = Math.max(x0, 0); ix < Math.min(x1, x.w); ix++) {
                            s += x.data[(nc * x.h + iy) * x.w + ix];
                            inside++;
                        }
                    }
                    r[(nc * oh + y) * ow + xo] = (float) (s / (countPad ? padCount : inside));
                }
            }
        }
        return new Tensor(r, new Shape(x.n, x.c, oh, ow));
    }

    private static int poolSize(int in, int k, int stride, int pad, boolean ceil) {
        int span = in + 2 * pad - k;
        int out = (ceil ? (span + stride - 1) / stride : span / stride) + 1;
        if (ceil && (out - 1) * stride >= in + pad) {
            out--;
        }
        return out;
    }

    private static Tensor concat(List<Tensor> parts) {
        Tensor first = parts.get(0);
        int c = parts.stream().mapToInt(t -> t.c).sum();
        int hw = first.h * first.w;
        float[] r = new float[first.n * c * hw];
        for (int b = 0; b < first.n; b++) {
            int offset = 0;
            for (Tensor t : parts) {
                System.arraycopy(t.data, b * t.c * hw, r, (b * c + offset) * hw, t.c * hw);
                offset += t.c;
            }
        }
        return new Tensor(r, new Shape(first.n, c, first.h, first.w));
    }

    /** A dense NCHW float tensor. */
    private static final class Tensor {
        final float[] data;
        final int n;
        final int c;
        final int h;
        final int w;

        Tensor(float[] data, Shape shape) {
            this.data = data;
            n = (int) shape.get(0);
            c = (int) shape.get(1);
            h = (int) shape.get(2);
            w = (int) shape.get(3);
            assertEquals(shape.size(), data.length, "tensor size");
        }

        Shape shape() {
            return new Shape(n, c, h, w);
        }

        /** Channels [from, from + count) of every sample. */
        Tensor channels(int from, int count) {
            int hw = h * w;
            float[] r = new float[n * count * hw];
            for (int b = 0; b < n; b++) {
                System.arraycopy(data, (b * c + from) * hw, r, b * count * hw, count * hw);
            }
            return new Tensor(r, new Shape(n, count, h, w));
        }
    }

    /** Parameters by official PyTorch key, walking child names as the zoo's OfficialNames does. */
    static Map<String, Parameter> officialParameters(Block block) {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collect(block, "", out);
        assertNotNull(out);
        return out;
    }

    private static void collect(Block block, String prefix, Map<String, Parameter> out) {
        for (Pair<String, Parameter> p : block.getDirectParameters()) {
            String name = switch (p.getKey()) {
                case "gamma" -> "weight";
                case "beta" -> "bias";
                case "runningMean" -> "running_mean";
                case "runningVar" -> "running_var";
                default -> p.getKey();
            };
            out.put(prefix + name, p.getValue());
        }
        for (Pair<String, Block> child : block.getChildren()) {
            collect(child.getValue(), prefix + child.getKey().substring(2) + ".", out);
        }
    }
}
