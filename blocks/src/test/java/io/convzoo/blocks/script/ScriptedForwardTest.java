package io.convzoo.blocks.script;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import io.convzoo.blocks.CompiledForward;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.NamedSequential;
import io.convzoo.blocks.TestSupport;
import io.convzoo.blocks.infer.ConvBn;
import io.convzoo.blocks.dynamic.DynamicConv2d;
import io.convzoo.blocks.octconv.OctConv;
import io.convzoo.blocks.pyconv.PyConv;
import io.convzoo.blocks.layers.GlobalAvgPool;
import io.convzoo.blocks.layers.MaxPool2d;
import io.convzoo.blocks.res2net.Res2NetBottleneck;
import org.junit.jupiter.api.Test;

/**
 * A prepared model whose eval forwards run as one TorchScript module: same logits as block by block,
 * made again whenever what it was written from changes, and never in the way of a clear error.
 */
class ScriptedForwardTest {

    private static final double TOLERANCE = 1e-4;

    /**
     * Every scriptable block the zoo models do not exercise unfolded: a v1b Res2Net stage with
     * squeeze-excite, two dynamic convs (3×3, and 1×1 with stride: the batched-matmul form) and a
     * PyConv without BatchNorm, two plain OctConvs (into and out of the octave pair, with the
     * upsample-add).
     */
    private static NamedSequential model() {
        NamedSequential net = new NamedSequential();
        net.add("block", Res2NetBottleneck.builder().inChannels(8).planes(8).stride(2)
                .shortcut(Res2NetBottleneck.Shortcut.V1B).squeezeExcite(true).build());
        net.add("dynamic", DynamicConv2d.builder().setInChannels(32).setOutChannels(16).setKernelSize(3)
                .optPadding(1).optTemperature(4f).build());
        net.add("pyconv", PyConv.builder().addLevel(8, 3, 1).addLevel(8, 5, 4).build());
        net.add("octIn", OctConv.builder().setChannels(16, 16).setKernel(3).optPadding(1).optAlpha(0, 0.5).build());
        net.add("octOut", OctConv.builder().setChannels(16, 16).setKernel(3).optPadding(1).optAlpha(0.5, 0).build());
        net.add("pointwise", DynamicConv2d.builder().setInChannels(16).setOutChannels(16).setKernelSize(1)
                .optStride(2).optTemperature(4f).build());
        net.add("conv", Layers.conv(12, 3, 1, 1, 1, 1, false));
        net.add("bn", Layers.batchNorm());
        net.add("relu", Layers.relu());
        net.add("pool", new MaxPool2d(3, 2, 1));
        net.add("gap", new GlobalAvgPool());
        net.add("fc", Linear.builder().setUnits(5).build());
        return net;
    }

    /** {@link #model()} initialized for {@code input}, random BatchNorm statistics, folding on. */
    private static NamedSequential preparedModel(NDManager manager, Shape input) {
        NamedSequential net = model();
        TestSupport.init(net, manager, input);
        randomizeBatchNorms(net, 1);
        ConvBn.enableFolding(net);
        return net;
    }

    /** Random BatchNorm statistics and affine parameters, written into the existing arrays. */
    private static void randomizeBatchNorms(Block block, long seed) {
        long s = seed;
        for (var p : block.getParameters()) {
            String key = p.getKey();
            NDArray a = p.getValue().getArray();
            float[] v = TestSupport.randomFloats((int) a.size(), s++);
            if (key.endsWith("runningVar") || key.endsWith("gamma")) {
                for (int i = 0; i < v.length; i++) {
                    v[i] = 0.5f + Math.abs(v[i]);
                }
                a.set(v);
            } else if (key.endsWith("runningMean") || key.endsWith("beta")) {
                a.set(v);
            }
        }
    }

    private static float[] eval(Block net, NDManager manager, NDArray x) {
        return net.forward(new ParameterStore(manager, false), new NDList(x), false).head().toFloatArray();
    }

    /** The logits of {@code net} block by block (its scripted forward switched off for the call). */
    private static float[] blockByBlock(NamedSequential net, NDManager manager, NDArray x) {
        CompiledForward scripted = net.getCompiledForward();
        net.setCompiledForward(null);
        try {
            return eval(net, manager, x);
        } finally {
            net.setCompiledForward(scripted);
        }
    }

    @Test
    void scriptedLogitsMatchAndFollowEveryChange() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            NamedSequential net = preparedModel(manager, new Shape(2, 8, 16, 16));
            NDArray x = TestSupport.random(manager, new Shape(2, 8, 16, 16), 7);
            NDArray other = TestSupport.random(manager, new Shape(1, 8, 20, 20), 8);
            float[] expected = blockByBlock(net, manager, x);
            float[] expectedOther = blockByBlock(net, manager, other);

            ScriptedForward scripted = new ScriptedForward(net, "test model");
            net.setCompiledForward(scripted);
            TestSupport.assertClose(expected, eval(net, manager, x), TOLERANCE); // block by block, then compiled
            assertTrue(scripted.isCompiledFor(x.getDevice()), "compiled at the first eval forward");
            TestSupport.assertClose(expected, eval(net, manager, x), TOLERANCE);
            TestSupport.assertClose(expectedOther, eval(net, manager, other), TOLERANCE);
            assertTrue(scripted.isCompiledFor(x.getDevice()), "another batch and size run the same module");

            // A wrong input gets the blocks' own message, not a TorchScript error, and keeps the module.
            NDArray wrong = TestSupport.random(manager, new Shape(1, 5, 16, 16), 9);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> eval(net, manager, wrong));
            assertTrue(e.getMessage().contains("C=8"), e.getMessage());
            assertTrue(scripted.isCompiledFor(x.getDevice()));

            // Values written in place: refresh (what weight loaders call) drops the module.
            Parameter fcWeight = null;
            for (var p : net.getParameters()) {
                if (p.getKey().endsWith("fc_weight")) {
                    fcWeight = p.getValue();
                }
            }
            fcWeight.getArray().muli(2);
            ConvBn.refresh(net);
            assertFalse(scripted.isCompiledFor(x.getDevice()), "refresh drops the module");
            float[] doubled = blockByBlock(net, manager, x);
            assertTrue(maxDiff(expected, doubled) > 1e-3, "the new weights change the logits");
            TestSupport.assertClose(doubled, eval(net, manager, x), TOLERANCE);
            TestSupport.assertClose(doubled, eval(net, manager, x), TOLERANCE);
            assertTrue(scripted.isCompiledFor(x.getDevice()), "made again from the current values");

            // A replaced parameter array (loading parameters makes new arrays) is seen without refresh.
            java.io.ByteArrayOutputStream saved = new java.io.ByteArrayOutputStream();
            fcWeight.save(new java.io.DataOutputStream(saved));
            fcWeight.load(manager, new java.io.DataInputStream(new java.io.ByteArrayInputStream(saved.toByteArray())));
            assertFalse(scripted.isCompiledFor(x.getDevice()), "a replaced array makes the module stale");
            TestSupport.assertClose(doubled, eval(net, manager, x), TOLERANCE);
            TestSupport.assertClose(doubled, eval(net, manager, x), TOLERANCE);
            assertTrue(scripted.isCompiledFor(x.getDevice()));

            // A training forward (optimizer steps write in place) drops it too.
            net.forward(new ParameterStore(manager, false), new NDList(x), true);
            assertFalse(scripted.isCompiledFor(x.getDevice()), "a training forward makes the module stale");
        }
    }

    /**
     * One thread predicts while another keeps dropping and remaking the module (a weight reload
     * beside a serving worker): every prediction keeps the right logits (a module still running is
     * closed only by its last user).
     */
    @Test
    void predictionsStayCorrectWhileAnotherThreadRemakesTheModule() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            NamedSequential net = preparedModel(manager, new Shape(1, 8, 16, 16));
            NDArray x = TestSupport.random(manager, new Shape(1, 8, 16, 16), 7);
            float[] expected = blockByBlock(net, manager, x);
            net.setCompiledForward(new ScriptedForward(net, "shared model"));
            java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
            Thread predictor = new Thread(() -> {
                try (NDManager local = manager.newSubManager()) {
                    for (int i = 0; i < 300; i++) {
                        try (NDManager step = local.newSubManager()) {
                            NDArray xi = x.duplicate();
                            xi.attach(step);
                            TestSupport.assertClose(expected, eval(net, step, xi), TOLERANCE);
                        }
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            predictor.start();
            for (int i = 0; i < 20 && predictor.isAlive(); i++) {
                ConvBn.refresh(net);
                try (NDManager step = manager.newSubManager()) {
                    eval(net, step, x.duplicate());
                }
            }
            predictor.join();
            if (failure.get() != null) {
                throw new AssertionError("predicting thread failed", failure.get());
            }
            TestSupport.assertClose(expected, eval(net, manager, x), TOLERANCE);
            assertTrue(((ScriptedForward) net.getCompiledForward()).isCompiledFor(x.getDevice()));
        }
    }

    /**
     * Every batched form of a dynamic conv folded with its BatchNorm (so with a mixed bias bank plus
     * the shift): grouped conv, batched matmul (1×1 with stride) and sample by sample (a 256×256 3×3
     * kernel set on the CPU), each at batch 3 and at batch 1 in one module.
     */
    @Test
    void everyDynamicConvFormScriptsWithItsBiasBank() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NamedSequential net = new NamedSequential();
            int[][] convs = {{16, 256, 3, 1}, {256, 256, 3, 1}, {256, 24, 1, 2}}; // in, out, kernel, stride
            for (int i = 0; i < convs.length; i++) {
                int[] c = convs[i];
                net.add("conv" + i, DynamicConv2d.builder().setInChannels(c[0]).setOutChannels(c[1])
                        .setKernelSize(c[2]).optStride(c[3]).optPadding(c[2] / 2).optKernels(2).optBias(true)
                        .optTemperature(4f).build());
                net.add("bn" + i, Layers.batchNorm());
            }
            Shape batch3 = new Shape(3, 16, 6, 6);
            TestSupport.init(net, manager, batch3);
            randomizeBatchNorms(net, 5);
            long firstSeed = 20;
            long seed = firstSeed;
            for (var p : net.getParameters()) {
                if (p.getKey().matches("\\d+conv\\d_bias")) { // the bias banks: random, not their zero init
                    NDArray bank = p.getValue().getArray();
                    bank.set(TestSupport.randomFloats((int) bank.size(), seed++));
                }
            }
            assertEquals(firstSeed + convs.length, seed, "every bias bank randomized");
            assertEquals(convs.length, ConvBn.enableFolding(net));
            NDArray x = TestSupport.random(manager, batch3, 11);
            NDArray single = TestSupport.random(manager, new Shape(1, 16, 6, 6), 12);
            float[] expected = blockByBlock(net, manager, x);
            float[] expectedSingle = blockByBlock(net, manager, single);
            assertEquals(3 * 24 * 3 * 3, expected.length);

            ScriptedForward scripted = new ScriptedForward(net, "dynamic forms");
            net.setCompiledForward(scripted);
            TestSupport.assertClose(expected, eval(net, manager, x), TOLERANCE);
            assertTrue(scripted.isCompiledFor(x.getDevice()));
            TestSupport.assertClose(expected, eval(net, manager, x), TOLERANCE);
            TestSupport.assertClose(expectedSingle, eval(net, manager, single), TOLERANCE);
            assertTrue(maxDiff(expected, new float[expected.length]) > 0.1, "logits large enough to compare");
        }
    }

    @Test
    void modelWithoutScriptFormRunsBlockByBlock() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NamedSequential net = new NamedSequential()
                    .add("conv", Layers.conv(4, 3, 1, 1, 1, 1, true))
                    .add("pool", Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2))); // a DJL lambda: opaque
            TestSupport.init(net, manager, new Shape(1, 3, 8, 8));
            NDArray x = TestSupport.random(manager, new Shape(1, 3, 8, 8), 3);
            float[] expected = eval(net, manager, x);
            ScriptedForward scripted = new ScriptedForward(net, "opaque");
            net.setCompiledForward(scripted);
            TestSupport.assertClose(expected, eval(net, manager, x), 0);
            TestSupport.assertClose(expected, eval(net, manager, x), 0);
            assertFalse(scripted.isCompiledFor(x.getDevice()), "a lambda block has no script form");
        }
    }

    private static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
