package io.convzoo.zoo.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import io.convzoo.blocks.BlockTree;
import io.convzoo.blocks.DataflowBlock;
import io.convzoo.blocks.TestSupport;
import io.convzoo.blocks.dynamic.CondConv2d;
import io.convzoo.blocks.dynamic.DynamicConv2d;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.ModelRegistry;
import io.convzoo.zoo.ModelSpec;
import io.convzoo.zoo.arch.condconv.EfficientNetCc;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every registered model's eval forward through its ONNX form on ONNX Runtime gives the logits of its
 * plain eager forward (conv then BatchNorm, block by block) within 1e-4, at batch 1 and at a batch of
 * 5 (which the prepared path lays out channels-last); the dynamic-convolution and CondConv models run on graphs
 * written for each of the two batches; PyConvSegNet (its global head pools to fixed bins of a dynamic
 * size) stays on libtorch and says why. Sizes as ScriptedModelsTest (every block still runs).
 */
class OnnxRuntimeModelsTest {

    /**
     * Dynamic-conv models above this many parameters are left out: each of their two fixed-batch
     * graphs holds a copy of the K-kernel banks (dy_resnet50: 400 MB) while it is written, beyond the
     * test JVM's 3 GB heap. dy_resnet18 (45 M) and dy_resnet_small run here; `bench --ort` runs dy_resnet50.
     */
    private static final long MAX_FIXED_BATCH_PARAMS = 50_000_000L;

    @Test
    void everyRegisteredModelRunsOnOnnxRuntimeWithTheEagerLogits() {
        int onOrt = 0;
        for (ModelSpec spec : ModelRegistry.all()) {
            if (ScriptedModelsTest.HEAVY_REPEATS.contains(spec.id())) {
                continue; // dynamic convolution like their lighter repeats, which run below
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
                long params = net.getParameters().values().stream().mapToLong(p -> p.getArray().size()).sum();
                if (dynamic && params > MAX_FIXED_BATCH_PARAMS) {
                    continue; // two graphs of its K-kernel banks do not fit the test JVM's heap; the bench runs them
                }
                Inference.prepare(net, true, Inference.Runtime.ONNXRUNTIME);
                if ("segmentation".equals(spec.properties().get("task"))) {
                    assertTrue(Inference.runtimeOf(net).startsWith("libtorch (no ONNX form: adaptive average pooling"),
                            spec.id() + ": " + Inference.runtimeOf(net));
                    assertFalse(((DataflowBlock) net).getCompiledForward() instanceof OnnxRuntimeForward, spec.id());
                    continue;
                }
                assertOnOrt(spec.id(), net, ps, single, five, eagerSingle, eagerFive, dynamic ? 2 : 1);
                onOrt++;
            }
        }
        assertTrue(onOrt >= 10, "models on ONNX Runtime: " + onOrt);
    }

    /** The ONNX form of a prepared {@code net} runs on ORT with the eager logits of both inputs. */
    private static void assertOnOrt(String id, Block net, ParameterStore ps, NDArray single, NDArray five,
                                    float[] eagerSingle, float[] eagerFive, int sessions) {
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
        ModelSpec spec = ModelRegistry.get("res2net_small");
        try (NDManager manager = NDManager.newBaseManager()) {
            Block net = spec.build(ScriptedModelsTest.testArgs(spec));
            TestSupport.init(net, manager, new Shape(1, 1, 28, 28));
            InferencePrepTest.randomizeBatchNorms(net, manager, 1);
            ParameterStore ps = new ParameterStore(manager, false);
            int[] sides = {28, 36, 44, 52};
            float[][] eager = new float[sides.length][];
            NDArray[] inputs = new NDArray[sides.length];
            for (int i = 0; i < sides.length; i++) {
                inputs[i] = TestSupport.random(manager, new Shape(3, 1, sides[i], sides[i]), 10 + i);
                eager[i] = Inference.forward(net, ps, inputs[i]).head().toFloatArray();
            }
            Inference.prepare(net, true, Inference.Runtime.ONNXRUNTIME);
            OnnxRuntimeForward ort = (OnnxRuntimeForward) ((DataflowBlock) net).getCompiledForward();
            for (int round = 0; round < 2; round++) { // the first round makes the sessions, the second runs them
                for (int i = 0; i < sides.length; i++) {
                    assertMatches("side " + sides[i] + " round " + round, eager[i],
                            Inference.forward(net, ps, inputs[i]).head().toFloatArray());
                }
            }
            assertEquals(OnnxRuntimeForward.PINNED_SIZES, 2);
            assertEquals(java.util.List.of(java.util.List.of(28L, 28L), java.util.List.of(36L, 36L), java.util.List.of()),
                    ort.sessionSizes().stream().sorted(java.util.Comparator.comparing(Object::toString))
                            .collect(java.util.stream.Collectors.toList()));
            assertEquals("onnxruntime", Inference.runtimeOf(net));
        }
    }

    @Test
    void aDynamicConvModelRunsItsFirstTwoBatchSizesOnOnnxRuntimeAndOthersOnLibtorch() {
        ModelSpec spec = ModelRegistry.get("dy_resnet_small");
        try (NDManager manager = NDManager.newBaseManager()) {
            Block net = spec.build(ScriptedModelsTest.testArgs(spec));
            TestSupport.init(net, manager, new Shape(1, 1, 28, 28));
            InferencePrepTest.randomizeBatchNorms(net, manager, 1);
            ParameterStore ps = new ParameterStore(manager, false);
            int[] batches = {1, 3, 2};
            float[][] eager = new float[batches.length][];
            NDArray[] inputs = new NDArray[batches.length];
            for (int i = 0; i < batches.length; i++) {
                inputs[i] = TestSupport.random(manager, new Shape(batches[i], 1, 28, 28), 20 + i);
                eager[i] = Inference.forward(net, ps, inputs[i]).head().toFloatArray();
            }
            Inference.prepare(net, true, Inference.Runtime.ONNXRUNTIME);
            OnnxRuntimeForward ort = (OnnxRuntimeForward) ((DataflowBlock) net).getCompiledForward();
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < batches.length; i++) {
                    assertMatches("batch " + batches[i] + " round " + round, eager[i],
                            Inference.forward(net, ps, inputs[i]).head().toFloatArray());
                }
            }
            assertEquals(java.util.List.of(java.util.List.of(1L, 28L, 28L), java.util.List.of(3L, 28L, 28L)),
                    ort.sessionSizes().stream().sorted(java.util.Comparator.comparing(Object::toString))
                            .collect(java.util.stream.Collectors.toList()));
            assertEquals("onnxruntime", Inference.runtimeOf(net));
        }
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
