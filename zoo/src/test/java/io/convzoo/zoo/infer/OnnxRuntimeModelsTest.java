package io.convzoo.zoo.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import io.convzoo.blocks.BlockTree;
import io.convzoo.blocks.CompiledForward;
import io.convzoo.blocks.DataflowBlock;
import io.convzoo.blocks.TestSupport;
import io.convzoo.blocks.dynamic.CondConv2d;
import io.convzoo.blocks.dynamic.DynamicConv2d;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.ModelRegistry;
import io.convzoo.zoo.ModelSpec;
import io.convzoo.zoo.arch.condconv.EfficientNetCc;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Every registered model's eval forward through its ONNX form on ONNX Runtime gives the logits of its
 * plain eager forward (conv then BatchNorm, block by block) within 1e-4, at batch 1 and at a batch of
 * 5 (which the prepared path lays out channels-last); the dynamic-convolution and CondConv models run on graphs
 * written for each of the two batches; PyConvSegNet's global head and the DY-VGGs pool adaptively to fixed bins
 * of the graph's dynamic size. Sizes as ScriptedModelsTest (every block still runs).
 */
class OnnxRuntimeModelsTest {

    @Test
    void everyRegisteredModelRunsOnOnnxRuntimeWithTheEagerLogits() {
        boolean all = System.getenv("CONVZOO_SCRIPT_ALL") != null;
        int onOrt = 0;
        for (ModelSpec spec : ModelRegistry.all()) {
            if (!all && ScriptedModelsTest.HEAVY_REPEATS.contains(spec.id())) {
                continue; // dynamic convolution like their lighter repeats, which run below (CONVZOO_SCRIPT_ALL: all)
            }
            int size = ScriptedModelsTest.testSize(spec);
            int channels = spec.defaults().inputChannels();
            try (NDManager manager = NDManager.newBaseManager()) {
                Block net = spec.build(ScriptedModelsTest.testArgs(spec));
                TestSupport.init(net, manager, new Shape(1, channels, size, size));
                InferencePrepTest.randomizeBatchNorms(net, manager, 1);
                ParameterStore ps = new ParameterStore(manager, false);
                NDArray single = TestSupport.random(manager, new Shape(1, channels, size, size), 2);
                NDArray five = TestSupport.random(manager, new Shape(5, channels, size, size), 3);
                float[] eagerSingle = Inference.forward(net, ps, single).head().toFloatArray();
                float[] eagerFive = Inference.forward(net, ps, five).head().toFloatArray();

                boolean dynamic = !BlockTree.findAll(net, DynamicConv2d.class).isEmpty()
                        || !BlockTree.findAll(net, CondConv2d.class).isEmpty();
                Inference.prepare(net, true, Inference.Runtime.ONNXRUNTIME);
                assertOnOrt(spec.id(), net, ps, single, five, eagerSingle, eagerFive, dynamic ? 2 : 1);
                onOrt++;
            }
        }
        assertTrue(onOrt >= 10, "models on ONNX Runtime: " + onOrt);
    }

    /** The ONNX form of a prepared {@code net} runs on ORT with the eager logits of both inputs. */
    private static void assertOnOrt(String id, Block net, ParameterStore ps, NDArray single, NDArray five,
                                    float[] eagerSingle, float[] eagerFive, int sessions) {
        assertTrue(((DataflowBlock) net).getCompiledForward() instanceof OnnxRuntimeForward,
                id + ": " + Inference.runtimeOf(net));
        OnnxRuntimeForward ort = (OnnxRuntimeForward) ((DataflowBlock) net).getCompiledForward();
        Inference.forward(net, ps, single); // block by block: folds, then makes the session
        Inference.forward(net, ps, five); // a fixed-batch graph (dynamic convolution): a session per batch
        assertTrue(ort.hasSession(), id + ": " + ort.runtime());
        assertEquals(sessions, ort.sessionSizes().size(), id + ": " + ort.sessionSizes());
        assertEquals("onnxruntime", Inference.runtimeOf(net), id);
        assertMatches(id + " batch 1", eagerSingle, Inference.forward(net, ps, single).head().toFloatArray());
        assertMatches(id + " batch 5", eagerFive, Inference.forward(net, ps, five).head().toFloatArray());
        assertTrue(ort.hasSession(), id);
    }

    /**
     * Adaptive average pooling in the ONNX graph computes PyTorch's bins from the input's size: pooling
     * down and up, to a different height and width, on inputs of other sizes than the first (one graph
     * with dynamic sizes after the two pinned ones), within 1e-4 of the eager forward.
     */
    @Test
    void adaptivePoolingToFixedBinsRunsOnOnnxRuntimeForAnySize() {
        try (NDManager manager = NDManager.newBaseManager()) {
            io.convzoo.blocks.NamedSequential net = new io.convzoo.blocks.NamedSequential()
                    .add("conv", io.convzoo.blocks.Layers.conv3x3(4, 1, 1))
                    .add("pool", new io.convzoo.blocks.layers.AdaptiveAvgPool2d(5, 3));
            TestSupport.init(net, manager, new Shape(1, 3, 13, 11));
            List<Shape> shapes = List.of(new Shape(2, 3, 13, 11), new Shape(1, 3, 4, 2), new Shape(3, 3, 7, 9),
                    new Shape(2, 3, 5, 3));
            assertEquals(List.of(List.of(13L, 11L), List.of(4L, 2L), List.of()),
                    sessionSizesAfter("adaptive pool", net, manager, shapes));
            ParameterStore ps = new ParameterStore(manager, false);
            for (Shape shape : shapes) {
                assertEquals(new Shape(shape.get(0), 4, 5, 3),
                        Inference.forward(net, ps, TestSupport.random(manager, shape, 1)).head().getShape());
            }
        }
    }

    /** SiLU and EfficientNet's SE and inverted residuals have an ONNX form for any batch (CondConv2d for fixed ones). */
    @Test
    void efficientNetBlocksWithoutExpertsRunOnOnnxRuntime() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block net = EfficientNetCc.build("efficientnet_plain", List.of(List.of("ds_r2_k3_s1_e1_c8_se0.25"),
                    List.of("ir_r2_k5_s2_e3_c16_se0.25")), 1.0, 1, 8, 32, ModelArgs.imagenet().withNumClasses(10));
            TestSupport.init(net, manager, new Shape(1, 3, 32, 32));
            InferencePrepTest.randomizeBatchNorms(net, manager, 1);
            ParameterStore ps = new ParameterStore(manager, false);
            NDArray single = TestSupport.random(manager, new Shape(1, 3, 32, 32), 2);
            NDArray five = TestSupport.random(manager, new Shape(5, 3, 32, 32), 3);
            float[] eagerSingle = Inference.forward(net, ps, single).head().toFloatArray();
            float[] eagerFive = Inference.forward(net, ps, five).head().toFloatArray();
            Inference.prepare(net, true, Inference.Runtime.ONNXRUNTIME);
            assertOnOrt("efficientnet_plain", net, ps, single, five, eagerSingle, eagerFive, 1);
        }
    }

    @Test
    void theFirstSizesGetPinnedSessionsAndLaterOnesShareTheDynamicOne() {
        List<Shape> shapes = List.of(new Shape(3, 1, 28, 28), new Shape(3, 1, 36, 36), new Shape(3, 1, 44, 44),
                new Shape(3, 1, 52, 52));
        assertEquals(2, OnnxRuntimeForward.PINNED_SIZES);
        assertEquals(List.of(List.of(28L, 28L), List.of(36L, 36L), List.of()), sessionSizesAfter("res2net_small", shapes));
    }

    @Test
    void aDynamicConvModelRunsItsFirstTwoBatchSizesOnOnnxRuntimeAndOthersOnLibtorch() {
        List<Shape> shapes = List.of(new Shape(1, 1, 28, 28), new Shape(3, 1, 28, 28), new Shape(2, 1, 28, 28));
        assertEquals(List.of(List.of(1L, 28L, 28L), List.of(3L, 28L, 28L)), sessionSizesAfter("dy_resnet_small", shapes));
    }

    /**
     * {@code auto} times both runtimes per input shape and keeps the faster: with a clock that makes libtorch
     * faster at [2, 28, 28] and ONNX Runtime faster at [2, 36, 36], the next forwards run there, and every
     * answer is exact.
     */
    @Test
    void autoKeepsTheRuntimeMeasuredFasterForEachSize() {
        ModelSpec spec = ModelRegistry.get("res2net_small");
        try (NDManager manager = NDManager.newBaseManager()) {
            Block net = spec.build(ScriptedModelsTest.testArgs(spec));
            TestSupport.init(net, manager, new Shape(1, 1, 28, 28));
            InferencePrepTest.randomizeBatchNorms(net, manager, 1);
            ParameterStore ps = new ParameterStore(manager, false);
            NDArray small = TestSupport.random(manager, new Shape(2, 1, 28, 28), 30);
            NDArray large = TestSupport.random(manager, new Shape(2, 1, 36, 36), 31);
            float[] eagerSmall = Inference.forward(net, ps, small).head().toFloatArray();
            float[] eagerLarge = Inference.forward(net, ps, large).head().toFloatArray();
            Inference.prepare(net, true, Inference.Runtime.LIBTORCH);
            DataflowBlock root = (DataflowBlock) net;
            RecordingLibtorch counted = new RecordingLibtorch(root.getCompiledForward());
            // An ONNX Runtime forward right after a libtorch one costs 20 ms more (libtorch's threads still
            // spinning): a trial that timed those would keep libtorch at [2, 36, 36].
            long[] costs = {0, 0};
            OnnxRuntimeForward auto = new OnnxRuntimeForward(net, "res2net_small", 1, counted,
                    trialClock(counted, costs, 20_000_000));
            root.setCompiledForward(auto);
            int rounds = OnnxRuntimeForward.TRIAL_ROUNDS;
            for (NDArray x : List.of(small, large)) {
                float[] eager = x == small ? eagerSmall : eagerLarge;
                costs[0] = x == small ? 5_000_000 : 1_000_000; // libtorch faster on the small input, ORT on the large
                costs[1] = x == small ? 1_000_000 : 5_000_000;
                int before = counted.inputs.size();
                assertMatches("first forward, block by block", eager, Inference.forward(net, ps, x).head().toFloatArray());
                for (int i = 1; i < OnnxRuntimeForward.TRIAL_FORWARDS; i++) {
                    assertMatches("trial forward " + i, eager, Inference.forward(net, ps, x).head().toFloatArray());
                }
                // One untimed to compile, then per round one untimed and one timed.
                assertEquals(before + 1 + 2 * rounds, counted.inputs.size(), "libtorch forwards in the trial");
                for (int i = 0; i < 2; i++) {
                    assertMatches("chosen", eager, Inference.forward(net, ps, x).head().toFloatArray());
                }
                assertEquals(before + 1 + 2 * rounds + (x == small ? 2 : 0), counted.inputs.size(), "runs on the chosen runtime");
            }
            assertEquals("onnxruntime; libtorch at [2, 28, 28] (measured faster)", Inference.runtimeOf(net));
        }
    }

    /**
     * ONNX Runtime reads NCHW: a model prepared for it takes batches as they are (a channels-last copy
     * cost it two copies), and its libtorch forward gets the channels-last copy where that pays (batch 4
     * and more), as a model prepared for libtorch alone does. Every answer within 1e-4 of the eager one.
     */
    @Test
    void batchesReachOnnxRuntimeAsTheyAreAndLibtorchChannelsLast() {
        ModelSpec spec = ModelRegistry.get("res2net_small");
        try (NDManager manager = NDManager.newBaseManager()) {
            Block net = spec.build(spec.defaults().withInputChannels(3)); // one channel never goes channels-last
            TestSupport.init(net, manager, new Shape(1, 3, 28, 28));
            InferencePrepTest.randomizeBatchNorms(net, manager, 1);
            ParameterStore ps = new ParameterStore(manager, false);
            NDArray eight = TestSupport.random(manager, new Shape(8, 3, 28, 28), 40);
            NDArray two = TestSupport.random(manager, new Shape(2, 3, 28, 28), 41);
            float[] eagerEight = Inference.forward(net, ps, eight).head().toFloatArray();
            float[] eagerTwo = Inference.forward(net, ps, two).head().toFloatArray();
            Inference.prepare(net, true, Inference.Runtime.LIBTORCH);
            DataflowBlock root = (DataflowBlock) net;
            assertTrue(Inference.preparedInput(net, eight) != eight, "on libtorch, batch 8: a channels-last copy");
            RecordingLibtorch recorded = new RecordingLibtorch(root.getCompiledForward());
            List<NDArray> givenToLibtorch = recorded.inputs;
            // A clock on which libtorch is the faster: auto keeps it for both shapes.
            root.setCompiledForward(new OnnxRuntimeForward(net, "res2net_small", 3, recorded,
                    trialClock(recorded, new long[] {5_000_000, 1_000_000}, 0)));
            assertTrue(Inference.preparedInput(net, eight) == eight, "on ONNX Runtime, batch 8: the input as is");
            for (NDArray x : List.of(eight, two)) {
                float[] eager = x == eight ? eagerEight : eagerTwo;
                givenToLibtorch.clear();
                for (int i = 0; i < OnnxRuntimeForward.TRIAL_FORWARDS + 2; i++) {
                    assertMatches(x.getShape() + " forward " + i, eager, Inference.forward(net, ps, x).head().toFloatArray());
                }
                // Batch 2 shares batch 8's 28×28 session: no block-by-block first forward, one chosen forward more.
                assertEquals(1 + 2 * OnnxRuntimeForward.TRIAL_ROUNDS + (x == eight ? 2 : 3), givenToLibtorch.size(),
                        x.getShape().toString());
                for (NDArray given : givenToLibtorch) {
                    assertEquals(x.getShape(), given.getShape());
                    assertEquals(x == two, given == x, x.getShape() + ": the input itself only below batch 4");
                }
            }
            assertEquals("onnxruntime; libtorch at [2, 28, 28], [8, 28, 28] (measured faster)", Inference.runtimeOf(net));
        }
    }

    /** A model's libtorch forward that records the input of every forward it runs. */
    private static final class RecordingLibtorch implements CompiledForward {
        final CompiledForward scripted;
        final List<NDArray> inputs = new ArrayList<>();

        RecordingLibtorch(CompiledForward scripted) {
            this.scripted = scripted;
        }

        @Override
        public NDList forward(NDList given, java.util.function.Supplier<NDList> blockByBlock) {
            inputs.add(given.head());
            return scripted.forward(given, blockByBlock);
        }

        @Override
        public void invalidate() {
            scripted.invalidate();
        }
    }

    /**
     * A trial clock for {@code auto}. Each trial forward reads it before and after, and the second read
     * advances it by the cost of the runtime that ran in between, whichever slot it was: {@code costs[1]}
     * if {@code libtorch} ran, else {@code costs[0]}, plus {@code ortAfterLibtorch} for an ONNX Runtime
     * forward right after a libtorch one. {@code costs} may change between forwards.
     */
    private static java.util.function.LongSupplier trialClock(RecordingLibtorch libtorch, long[] costs,
                                                              long ortAfterLibtorch) {
        long[] clock = {0};
        int[] reads = {0};
        int[] libtorchRunsAtStart = {0};
        boolean[] previousOnLibtorch = {false};
        return () -> {
            if (reads[0]++ % 2 == 0) {
                libtorchRunsAtStart[0] = libtorch.inputs.size();
            } else {
                boolean onLibtorch = libtorch.inputs.size() > libtorchRunsAtStart[0];
                clock[0] += costs[onLibtorch ? 1 : 0] + (!onLibtorch && previousOnLibtorch[0] ? ortAfterLibtorch : 0);
                previousOnLibtorch[0] = onLibtorch;
            }
            return clock[0];
        };
    }

    /**
     * Runs model {@code id} prepared for ORT twice over inputs of {@code shapes} (the first round makes the
     * sessions, the second runs them), each within 1e-4 of the eager logits, and returns its session sizes, sorted.
     */
    private static List<List<Long>> sessionSizesAfter(String id, List<Shape> shapes) {
        ModelSpec spec = ModelRegistry.get(id);
        try (NDManager manager = NDManager.newBaseManager()) {
            Block net = spec.build(ScriptedModelsTest.testArgs(spec));
            TestSupport.init(net, manager, new Shape(1, 1, 28, 28));
            InferencePrepTest.randomizeBatchNorms(net, manager, 1);
            return sessionSizesAfter(id, net, manager, shapes);
        }
    }

    /** {@link #sessionSizesAfter(String, List)} for an initialized {@code net}, which it prepares for ORT. */
    private static List<List<Long>> sessionSizesAfter(String what, Block net, NDManager manager, List<Shape> shapes) {
        ParameterStore ps = new ParameterStore(manager, false);
        List<NDArray> inputs = new ArrayList<>();
        List<float[]> eager = new ArrayList<>();
        for (Shape shape : shapes) {
            inputs.add(TestSupport.random(manager, shape, 10 + inputs.size()));
            eager.add(Inference.forward(net, ps, inputs.get(inputs.size() - 1)).head().toFloatArray());
        }
        Inference.prepare(net, true, Inference.Runtime.ONNXRUNTIME);
        OnnxRuntimeForward ort = (OnnxRuntimeForward) ((DataflowBlock) net).getCompiledForward();
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < shapes.size(); i++) {
                assertMatches(what + " " + shapes.get(i) + " round " + round, eager.get(i),
                        Inference.forward(net, ps, inputs.get(i)).head().toFloatArray());
            }
        }
        assertEquals("onnxruntime", Inference.runtimeOf(net), what);
        return ort.sessionSizes().stream().sorted(Comparator.comparing(Object::toString)).collect(Collectors.toList());
    }

    /** Within 1e-4 of the largest |logit| (at least 1): the tolerance of every compiled forward. */
    private static void assertMatches(String what, float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, what);
        double scale = 1;
        double diff = 0;
        for (int i = 0; i < expected.length; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
            diff = Math.max(diff, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(diff <= 1e-4 * scale, what + ": differs by " + diff + ", largest |logit| " + scale);
    }
}
