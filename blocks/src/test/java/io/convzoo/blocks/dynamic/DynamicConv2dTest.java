package io.convzoo.blocks.dynamic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.NaiveConv;
import io.convzoo.blocks.NamedSequential;
import io.convzoo.blocks.TestSupport;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class DynamicConv2dTest {

    /** One dynamic conv configuration plus the batch it is run on. */
    record Config(int batch, int in, int out, int k, int stride, int pad, int dil, int groups, boolean bias,
                  int kernels, DynamicConv2d.Routing routing) {

        DynamicConv2d build() {
            return DynamicConv2d.builder().setInChannels(in).setOutChannels(out).setKernelSize(k)
                    .optStride(stride).optPadding(pad).optDilation(dil).optGroups(groups).optBias(bias)
                    .optKernels(kernels).optRouting(routing).build();
        }
    }

    private static final DynamicConv2d.Routing SOFTMAX = DynamicConv2d.Routing.SOFTMAX;
    private static final DynamicConv2d.Routing SIGMOID = DynamicConv2d.Routing.SIGMOID;

    @BeforeEach
    void seedEngine() {
        // Parameter init draws from the engine's generator: seed it so every run sees the same weights.
        Engine.getInstance().setRandomSeed(42);
    }

    static Stream<Arguments> configs() {
        return Stream.of(
                Arguments.of(new Config(1, 4, 6, 3, 1, 1, 1, 1, true, 4, SOFTMAX)),
                Arguments.of(new Config(3, 4, 6, 3, 1, 1, 1, 1, true, 4, SOFTMAX)),
                Arguments.of(new Config(3, 4, 6, 3, 2, 1, 1, 2, false, 3, SOFTMAX)),
                Arguments.of(new Config(3, 4, 4, 3, 1, 2, 2, 1, true, 4, SOFTMAX)),
                Arguments.of(new Config(1, 6, 4, 1, 2, 0, 1, 2, true, 2, SOFTMAX)),
                // Pointwise, ungrouped: the batched-matmul form, with and without stride and bias.
                Arguments.of(new Config(3, 6, 5, 1, 1, 0, 1, 1, true, 4, SOFTMAX)),
                Arguments.of(new Config(3, 6, 5, 1, 2, 0, 1, 1, false, 3, SOFTMAX)),
                Arguments.of(new Config(1, 6, 5, 1, 3, 0, 1, 1, true, 4, SIGMOID)),
                // 256x256 3x3 kernel sets: on the CPU a batch runs sample by sample.
                Arguments.of(new Config(2, 256, 256, 3, 2, 1, 1, 1, true, 2, SOFTMAX)),
                Arguments.of(new Config(2, 512, 256, 3, 1, 1, 1, 2, false, 2, SOFTMAX)),
                Arguments.of(new Config(3, 4, 6, 3, 1, 1, 1, 2, true, 4, SIGMOID)));
    }

    @Test
    void shapesAndParameterCountsAreExact() {
        try (NDManager m = NDManager.newBaseManager()) {
            DynamicConv2d dc = new Config(2, 8, 16, 3, 2, 1, 1, 2, true, 4, SOFTMAX).build();
            Shape in = new Shape(2, 8, 8, 8);
            TestSupport.init(dc, m, in);
            assertEquals(new Shape(2, 16, 4, 4), dc.getOutputShapes(new Shape[] {in})[0]);
            assertEquals(new Shape(4, 16, 4, 3, 3), dc.getParameters().get("weight").getArray().getShape());
            assertEquals(new Shape(4, 16), dc.getParameters().get("bias").getArray().getShape());
            // hidden = int(8 * 0.25) + 1 = 3: fc1 3x8, fc2 4x3 + 4; bank 4*16*4*9 + 4*16.
            assertEquals(3, dc.getAttention().getHiddenChannels());
            assertEquals(4 * 16 * 4 * 9 + 4 * 16 + 3 * 8 + 4 * 3 + 4, Layers.countParameters(dc));
            NDArray y = TestSupport.infer(dc, m, TestSupport.random(m, in, 1)).head();
            assertEquals(new Shape(2, 16, 4, 4), y.getShape());

            // A 3-channel input takes K hidden units (official special case); no bias -> no bias parameter.
            DynamicConv2d rgb = new Config(1, 3, 8, 3, 1, 1, 1, 1, false, 4, SOFTMAX).build();
            TestSupport.init(rgb, m, new Shape(1, 3, 8, 8));
            assertEquals(4, rgb.getAttention().getHiddenChannels());
            assertEquals(4 * 8 * 3 * 9 + 4 * 3 + 4 * 4 + 4, Layers.countParameters(rgb));
            assertTrue(rgb.getParameters().keys().stream().noneMatch(k -> k.equals("bias")));
            assertEquals(List.of("weight", "01attention_01fc1_weight", "01attention_02fc2_weight",
                    "01attention_02fc2_bias"), rgb.getParameters().keys());
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void matchesPerSampleLoopReference(Config cfg) {
        try (NDManager m = NDManager.newBaseManager()) {
            int h = 7;
            int w = 8;
            DynamicConv2d dc = cfg.build();
            Shape in = new Shape(cfg.batch(), cfg.in(), h, w);
            TestSupport.init(dc, m, in);
            sharpenAttention(dc);
            float[] x = TestSupport.randomFloats((int) in.size(), 5);
            NDArray xa = m.create(x, in);
            float[] expected = reference(dc, cfg, x, h, w);
            NDArray y = TestSupport.infer(dc, m, xa).head();
            assertEquals(dc.getOutputShapes(new Shape[] {in})[0], y.getShape());
            TestSupport.assertClose(expected, y.toFloatArray(), 1e-4);

            // The reference must not be trivially satisfied by equal attention weights.
            float[] att = attention(dc, m, xa);
            float spread = 0;
            for (int b = 0; b < cfg.batch(); b++) {
                for (int k = 1; k < cfg.kernels(); k++) {
                    spread = Math.max(spread, Math.abs(att[b * cfg.kernels() + k] - att[b * cfg.kernels()]));
                }
            }
            assertTrue(spread > 0.05f, "attention too uniform for a meaningful check: " + spread);
        }
    }

    @Test
    void batchSamplesAreIndependent() {
        // A sample's output must not depend on the other samples in the batch (groups = N * groups).
        try (NDManager m = NDManager.newBaseManager()) {
            Config cfg = new Config(3, 4, 6, 3, 1, 1, 1, 2, true, 4, SOFTMAX);
            DynamicConv2d dc = cfg.build();
            TestSupport.init(dc, m, new Shape(3, 4, 6, 6));
            sharpenAttention(dc);
            NDArray batch = TestSupport.random(m, new Shape(3, 4, 6, 6), 9);
            NDArray whole = TestSupport.infer(dc, m, batch).head();
            for (int b = 0; b < 3; b++) {
                NDArray alone = TestSupport.infer(dc, m, batch.get(b).expandDims(0)).head();
                TestSupport.assertClose(whole.get(b).toFloatArray(), alone.get(0).toFloatArray(), 1e-5);
            }
        }
    }

    @Test
    void temperatureControlsTheAttention() {
        try (NDManager m = NDManager.newBaseManager()) {
            DynamicConv2d dc = new Config(2, 4, 4, 3, 1, 1, 1, 1, true, 4, SOFTMAX).build();
            assertEquals(34f, dc.getTemperature());
            TestSupport.init(dc, m, new Shape(2, 4, 6, 6));
            sharpenAttention(dc);
            NDArray x = TestSupport.random(m, new Shape(2, 4, 6, 6), 3);

            dc.setTemperature(1f);
            float[] sharp = attention(dc, m, x);
            assertTrue(maxDeviation(sharp, 0.25f) > 0.05f, "T = 1 should give a non-uniform attention");
            for (int b = 0; b < 2; b++) {
                float sum = 0;
                for (int k = 0; k < 4; k++) {
                    sum += sharp[b * 4 + k];
                }
                assertEquals(1f, sum, 1e-5f, "softmax weights sum to one");
            }
            dc.setTemperature(1e6f);
            assertTrue(maxDeviation(attention(dc, m, x), 0.25f) < 1e-5f, "T -> large gives uniform 1/K");

            DynamicConv2d gated = new Config(2, 4, 4, 3, 1, 1, 1, 1, true, 4, SIGMOID).build();
            assertEquals(1f, gated.getTemperature());
            TestSupport.init(gated, m, new Shape(2, 4, 6, 6));
            sharpenAttention(gated);
            float[] gates = attention(gated, m, x);
            assertTrue(maxDeviation(gates, 0.5f) > 0.05f);
            float gateSum = gates[0] + gates[1] + gates[2] + gates[3];
            assertTrue(Math.abs(gateSum - 1f) > 1e-3f, "sigmoid gates are independent, not normalized: " + gateSum);
            gated.setTemperature(1e6f);
            assertTrue(maxDeviation(attention(gated, m, x), 0.5f) < 1e-5f, "T -> large gives 1/2 gates");
        }
    }

    @Test
    void evalAttentionFollowsEveryTemperatureChange() {
        // softmax(z / T) is proportional to softmax(z)^(1/T): the T = 1 weights give the reference
        // for T = 2 and T = 4, so the kept 1/T of eval forwards must be remade on each change.
        try (NDManager m = NDManager.newBaseManager()) {
            DynamicConv2d dc = new Config(2, 4, 4, 3, 1, 1, 1, 1, true, 4, SOFTMAX).build();
            TestSupport.init(dc, m, new Shape(2, 4, 6, 6));
            sharpenAttention(dc);
            NDArray x = TestSupport.random(m, new Shape(2, 4, 6, 6), 3);
            dc.setTemperature(1f);
            float[] base = attention(dc, m, x);
            for (float t : new float[] {2f, 4f, 2f}) {
                dc.setTemperature(t);
                float[] expected = new float[base.length];
                for (int b = 0; b < 2; b++) {
                    double sum = 0;
                    for (int k = 0; k < 4; k++) {
                        sum += Math.pow(base[b * 4 + k], 1.0 / t);
                    }
                    for (int k = 0; k < 4; k++) {
                        expected[b * 4 + k] = (float) (Math.pow(base[b * 4 + k], 1.0 / t) / sum);
                    }
                }
                TestSupport.assertClose(expected, attention(dc, m, x), 1e-5);
                float[] training = dc.getAttention().forward(new ParameterStore(m, false), new NDList(x), true)
                        .head().toFloatArray();
                TestSupport.assertClose(expected, training, 1e-5);
            }
        }
    }

    @Test
    void officialAnnealingStepsDownByThreeToOne() {
        DynamicConv2d dc = new Config(1, 4, 4, 3, 1, 1, 1, 1, false, 4, SOFTMAX).build();
        List<Float> seen = new ArrayList<>();
        for (int i = 0; i < 13; i++) {
            seen.add(dc.updateTemperature());
        }
        assertEquals(List.of(31f, 28f, 25f, 22f, 19f, 16f, 13f, 10f, 7f, 4f, 1f, 1f, 1f), seen);
        assertEquals(34f, DynamicConv2d.linearAnneal(34f, 1f, 0, 10));
        assertEquals(34f - 3.3f * 5, DynamicConv2d.linearAnneal(34f, 1f, 5, 10), 1e-4f);
        assertEquals(1f, DynamicConv2d.linearAnneal(34f, 1f, 12, 10));
        assertThrows(IllegalArgumentException.class, () -> dc.setTemperature(0f));
    }

    @Test
    void temperatureSetterReachesNestedDynamicConvs() {
        DynamicConv2d a = new Config(1, 4, 4, 3, 1, 1, 1, 1, false, 4, SOFTMAX).build();
        DynamicConv2d b = new Config(1, 4, 4, 1, 1, 0, 1, 1, false, 4, SOFTMAX).build();
        Block net = new NamedSequential().add("a", a).add("inner", new NamedSequential().add("b", b))
                .add("relu", Layers.relu());
        assertEquals(2, DynamicConv2d.setTemperatureEverywhere(net, 7f));
        assertEquals(7f, a.getTemperature());
        assertEquals(7f, b.getTemperature());
        assertEquals(2, DynamicConv2d.updateTemperatureEverywhere(net));
        assertEquals(4f, a.getTemperature());
        assertEquals(4f, b.getTemperature());
    }

    @Test
    void macsCountTheMixedConvAndTheMixing() {
        DynamicConv2d dc = new Config(2, 8, 16, 3, 2, 1, 1, 2, true, 4, SOFTMAX).build();
        Shape[] in = {new Shape(2, 8, 8, 8)};
        // 2 samples x 16 out x 4x4 positions x (8/2) x 3x3
        assertEquals(2L * 16 * 16 * 4 * 9, dc.ownMacs(in));
        // 2 samples x K=4 x (16*4*9 weights + 16 bias)
        assertEquals(2L * 4 * (16 * 4 * 9 + 16), dc.auxiliaryMacs(in));
    }

    @Test
    void badInputIsRejectedWithBlockAndExpectedShape() {
        try (NDManager m = NDManager.newBaseManager()) {
            DynamicConv2d dc = new Config(1, 8, 8, 3, 1, 1, 1, 2, false, 4, SOFTMAX).build();
            assertBad(() -> dc.getOutputShapes(new Shape[] {new Shape(1, 6, 8, 8)}));
            assertBad(() -> dc.getOutputShapes(new Shape[] {new Shape(8, 8, 8)}));
            assertBad(() -> dc.initialize(m, ai.djl.ndarray.types.DataType.FLOAT32, new Shape(1, 4, 8, 8)));
            TestSupport.init(dc, m, new Shape(1, 8, 8, 8));
            assertBad(() -> TestSupport.infer(dc, m, m.zeros(new Shape(1, 5, 8, 8))));
            assertBad(() -> TestSupport.infer(dc, m, m.zeros(new Shape(8, 8, 8))));
            DynamicConv2d noPad = new Config(1, 8, 8, 3, 1, 0, 2, 1, false, 4, SOFTMAX).build();
            assertBad(() -> noPad.getOutputShapes(new Shape[] {new Shape(1, 8, 4, 4)}));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Config(1, 6, 8, 3, 1, 1, 1, 4, false, 4, SOFTMAX).build());
        assertTrue(e.getMessage().contains("DynamicConv2d") && e.getMessage().contains("groups"), e.getMessage());
    }

    @Test
    void trainsKernelBankAndAttention() {
        // 16 input channels (5 attention hidden units), so "every parameter gets a gradient"
        // cannot fail through an all-inactive ReLU in the attention.
        DynamicConv2d dc = new Config(2, 16, 6, 3, 1, 1, 1, 2, true, 4, SOFTMAX).build();
        dc.setTemperature(1f);
        TestSupport.assertTrains(dc, new Shape(2, 16, 6, 6), 5, 0.05f);
        DynamicConv2d gated = new Config(2, 16, 6, 3, 2, 1, 1, 1, true, 3, SIGMOID).build();
        TestSupport.assertTrains(gated, new Shape(2, 16, 6, 6), 5, 0.05f);
    }

    private static void assertBad(Runnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().contains("DynamicConv2d"), e.getMessage());
        assertTrue(e.getMessage().contains("(N, C=8, H, W)"), e.getMessage());
    }

    private static float maxDeviation(float[] values, float target) {
        float worst = 0;
        for (float v : values) {
            worst = Math.max(worst, Math.abs(v - target));
        }
        return worst;
    }

    /** Larger attention weights and distinct fc2 biases at T = 1, so the K kernels get clearly different weights. */
    private static void sharpenAttention(DynamicConv2d dc) {
        dc.setTemperature(1f);
        List<Parameter> fc = attentionParameters(dc);
        fc.get(0).getArray().muli(3f);
        fc.get(1).getArray().muli(3f);
        int k = dc.getKernels();
        float[] bias = new float[k];
        for (int i = 0; i < k; i++) {
            bias[i] = 1.5f * i - 2.5f * (i % 2); // 0, -1, 3, 2: clearly distinct logits
        }
        fc.get(2).getArray().set(bias);
    }

    /** fc1.weight, fc2.weight, fc2.bias. */
    private static List<Parameter> attentionParameters(DynamicConv2d dc) {
        List<Parameter> out = new ArrayList<>();
        for (Block fc : dc.getAttention().getChildren().values()) {
            out.addAll(fc.getParameters().values());
        }
        assertEquals(3, out.size());
        return out;
    }

    private static float[] attention(DynamicConv2d dc, NDManager m, NDArray x) {
        return dc.getAttention().forward(new ParameterStore(m, false), new NDList(x), false).head().toFloatArray();
    }

    /**
     * The per-sample definition: attention in plain Java (mean pool, fc1, ReLU, fc2 + bias, /T,
     * softmax or sigmoid), the K kernels mixed by hand, then NaiveConv on that one sample.
     */
    private static float[] reference(DynamicConv2d dc, Config cfg, float[] x, int h, int w) {
        List<Parameter> fc = attentionParameters(dc);
        float[] w1 = fc.get(0).getArray().toFloatArray();
        float[] w2 = fc.get(1).getArray().toFloatArray();
        float[] b2 = fc.get(2).getArray().toFloatArray();
        float[] bank = dc.getParameters().get("weight").getArray().toFloatArray();
        float[] biasBank = cfg.bias() ? dc.getParameters().get("bias").getArray().toFloatArray() : null;
        int c = cfg.in();
        int kk = cfg.kernels();
        int hidden = dc.getAttention().getHiddenChannels();
        int kernelSet = cfg.out() * (c / cfg.groups()) * cfg.k() * cfg.k();
        assertEquals(kk * kernelSet, bank.length);
        List<float[]> outputs = new ArrayList<>();
        for (int b = 0; b < cfg.batch(); b++) {
            float[] sample = new float[c * h * w];
            System.arraycopy(x, b * c * h * w, sample, 0, sample.length);
            double[] pooled = new double[c];
            for (int ci = 0; ci < c; ci++) {
                for (int i = 0; i < h * w; i++) {
                    pooled[ci] += sample[ci * h * w + i];
                }
                pooled[ci] /= h * w;
            }
            double[] hid = new double[hidden];
            for (int j = 0; j < hidden; j++) {
                for (int ci = 0; ci < c; ci++) {
                    hid[j] += w1[j * c + ci] * pooled[ci];
                }
                hid[j] = Math.max(0, hid[j]);
            }
            double[] z = new double[kk];
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < kk; k++) {
                z[k] = b2[k];
                for (int j = 0; j < hidden; j++) {
                    z[k] += w2[k * hidden + j] * hid[j];
                }
                z[k] /= dc.getTemperature();
                max = Math.max(max, z[k]);
            }
            double[] a = new double[kk];
            double sum = 0;
            for (int k = 0; k < kk; k++) {
                a[k] = cfg.routing() == SOFTMAX ? Math.exp(z[k] - max) : 1 / (1 + Math.exp(-z[k]));
                sum += a[k];
            }
            if (cfg.routing() == SOFTMAX) {
                for (int k = 0; k < kk; k++) {
                    a[k] /= sum;
                }
            }
            float[] mixed = new float[kernelSet];
            for (int e = 0; e < kernelSet; e++) {
                double acc = 0;
                for (int k = 0; k < kk; k++) {
                    acc += a[k] * bank[k * kernelSet + e];
                }
                mixed[e] = (float) acc;
            }
            float[] mixedBias = null;
            if (biasBank != null) {
                mixedBias = new float[cfg.out()];
                for (int o = 0; o < cfg.out(); o++) {
                    double acc = 0;
                    for (int k = 0; k < kk; k++) {
                        acc += a[k] * biasBank[k * cfg.out() + o];
                    }
                    mixedBias[o] = (float) acc;
                }
            }
            outputs.add(NaiveConv.conv2d(sample, 1, c, h, w, mixed, cfg.out(), cfg.k(), cfg.k(), mixedBias,
                    cfg.stride(), cfg.pad(), cfg.dil(), cfg.groups()));
        }
        int per = outputs.get(0).length;
        float[] all = new float[per * outputs.size()];
        for (int b = 0; b < outputs.size(); b++) {
            System.arraycopy(outputs.get(b), 0, all, b * per, per);
        }
        return all;
    }
}
