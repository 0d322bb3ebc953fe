package io.convzoo.zoo.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import io.convzoo.blocks.DataflowBlock;
import io.convzoo.blocks.infer.ChannelsLast;
import io.convzoo.blocks.script.ScriptedForward;
import io.convzoo.blocks.TestSupport;
import io.convzoo.blocks.dynamic.DynamicConv2d;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.ModelRegistry;
import io.convzoo.zoo.ModelSpec;
import io.convzoo.zoo.arch.dla.Dla;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Every zoo architecture runs its prepared eval forward as one TorchScript module written from its
 * blocks, with the logits of the block-by-block prepared forward, on every form of input the module
 * branches on: batch 1 and batched, NCHW and channels-last; ImageNet variants at 32×32 to keep the run
 * short (every block still runs).
 */
class ScriptedModelsTest {

    private static final int IMAGENET_TEST_SIZE = 32;
    /** PyConvSegNet takes sides of the form 8k + 1. */
    private static final int SEGMENTATION_TEST_SIZE = 33;

    /**
     * Registered models whose blocks are all scripted here in a lighter registered model (dy_resnet18,
     * dy_resnet50, dy_vgg11_bn; the VGG without BatchNorm in CheckpointExporterTest's TorchScript
     * export of the official dy_vgg fixture): deeper or wider stacks of the same block classes, at
     * 62–276 M parameters whose K = 4 kernel mixing dominates a 32×32 forward (one to several
     * minutes each on 2 cores); and the CondConv EfficientNets with 8 experts, the blocks of efficientnet_cc_b0_4e
     * (b1 deeper, and its skip DS block in OfficialParityTest's efficientnet_cc_reduced), about 20 s each on 2 cores.
     * They run with CONVZOO_SCRIPT_ALL set.
     */
    static final Set<String> HEAVY_REPEATS = Set.of("dy_resnet34", "dy_resnet101", "dy_resnet152", "dy_wide_resnet50_2",
            "dy_vgg11",             "dy_vgg13", "dy_vgg13_bn", "dy_vgg16", "dy_vgg16_bn", "dy_vgg19", "dy_vgg19_bn",
            "efficientnet_cc_b0_8e", "efficientnet_cc_b1_8e");

    @Test
    void everyRegisteredModelIsScriptedWithTheSameLogits() {
        boolean all = System.getenv("CONVZOO_SCRIPT_ALL") != null;
        HEAVY_REPEATS.forEach(id -> assertTrue(ModelRegistry.find(id).isPresent(), id + " is not registered"));
        // -Dconvzoo.scriptedModels=id,id runs only those (a local check of a new model; CI runs all but the heavy repeats).
        Set<String> only = Set.of(System.getProperty("convzoo.scriptedModels", "").split(","));
        for (ModelSpec spec : ModelRegistry.all()) {
            if (!all && HEAVY_REPEATS.contains(spec.id()) || !only.equals(Set.of("")) && !only.contains(spec.id())) {
                continue;
            }
            ModelArgs args = testArgs(spec);
            check(spec.id(), () -> spec.build(args), spec.defaults().inputChannels(), testSize(spec));
        }
    }

    /** The input side a test runs {@code spec} at: 32 (ImageNet models), 33 for segmentation (8k + 1). */
    static int testSize(ModelSpec spec) {
        return "segmentation".equals(spec.properties().get("task")) ? SEGMENTATION_TEST_SIZE
                : Math.min(spec.inputSize(), IMAGENET_TEST_SIZE);
    }

    /** The arguments a test builds {@code spec} with at {@link #testSize}. */
    static ModelArgs testArgs(ModelSpec spec) {
        // A DLA's official AvgPool2d(7) needs 224×224; at 32×32 its last map is 1×1, pooled by a 1×1 window.
        return spec.family().equals("dla") ? spec.defaults().with(Dla.POOL_SIZE, 1) : spec.defaults();
    }

    @Test
    void referenceResNet50IsScriptedWithTheSameLogits() {
        check("resnet50", () -> ModelRegistry.get("resnet50").build(ModelArgs.imagenet().withNumClasses(1000)), 3, IMAGENET_TEST_SIZE);
    }

    @Test
    void changedTemperatureMakesTheModuleAgain() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block net = ModelRegistry.get("dy_resnet_small").build();
            Shape shape = new Shape(2, 1, 28, 28);
            TestSupport.init(net, manager, shape);
            InferencePrepTest.randomizeBatchNorms(net, manager, 1);
            NDArray x = TestSupport.random(manager, shape, 5);
            ParameterStore ps = new ParameterStore(manager, false);
            Inference.prepare(net);
            Inference.forward(net, ps, x);
            assertTrue(scripted(net).isCompiledFor(x.getDevice()));
            float[] before = Inference.forward(net, ps, x).head().toFloatArray();

            DynamicConv2d.setTemperatureEverywhere(net, 7f);
            assertFalse(scripted(net).isCompiledFor(x.getDevice()), "the temperature is baked in");
            float[] blocks = Inference.forward(net, ps, x).head().toFloatArray(); // block by block, then made
            assertTrue(scripted(net).isCompiledFor(x.getDevice()));
            float[] scripted = Inference.forward(net, ps, x).head().toFloatArray();
            TestSupport.assertClose(blocks, scripted, 1e-4);
            assertTrue(maxDiff(before, blocks) > 1e-4, "the temperature changes the logits");
        }
    }

    private static void check(String id, Supplier<Block> builder, int channels, int size) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block net = builder.get();
            TestSupport.init(net, manager, new Shape(1, channels, size, size));
            InferencePrepTest.randomizeBatchNorms(net, manager, 1);
            ParameterStore ps = new ParameterStore(manager, false);
            NDArray single = TestSupport.random(manager, new Shape(1, channels, size, size), 2);
            NDArray four = TestSupport.random(manager, new Shape(4, channels, size, size), 3);
            NDArray two = TestSupport.random(manager, new Shape(2, channels, size, size), 4);
            NDArray singleChannelsLast = ChannelsLast.of(single);

            Inference.prepare(net, false);
            float[] singleBlocks = Inference.forward(net, ps, single).head().toFloatArray();
            float[] fourBlocks = Inference.forward(net, ps, four).head().toFloatArray();
            float[] twoBlocks = Inference.forward(net, ps, two).head().toFloatArray();
            float[] singleChannelsLastBlocks = rawForward(net, ps, singleChannelsLast);

            Inference.prepare(net, true);
            Inference.forward(net, ps, single); // block by block, then the module is made
            assertTrue(scripted(net).isCompiledFor(single.getDevice()), id + ": compiled to one TorchScript module");
            assertClose(id + " batch 1", singleBlocks, Inference.forward(net, ps, single).head().toFloatArray());
            assertClose(id + " batch 4", fourBlocks, Inference.forward(net, ps, four).head().toFloatArray());
            assertTrue(scripted(net).isCompiledFor(single.getDevice()), id + ": batch 4 channels-last ran the same module");
            // Every form the module branches on: batched NCHW (batch 2 stays NCHW), and batch 1 channels-last.
            for (int pass = 0; pass < 2; pass++) { // the first input of a form is checked, the next one runs compiled
                assertClose(id + " batch 2", twoBlocks, Inference.forward(net, ps, two).head().toFloatArray());
                assertClose(id + " batch 1 channels-last", singleChannelsLastBlocks,
                        rawForward(net, ps, singleChannelsLast));
            }
            Set<String> expected = new HashSet<>(List.of("batch 1, contiguous", "batch > 1, contiguous"));
            if (channels > 1) {
                expected.addAll(List.of("batch 1, strided", "batch > 1, strided"));
            }
            assertEquals(expected, scripted(net).checkedForms(), id + ": every input form checked once");
            assertTrue(scripted(net).isCompiledFor(single.getDevice()), id + ": every form runs the same module");
        }
    }

    /** An eval forward of {@code x} as it is (not the prepared input copy), outputs copied out. */
    private static float[] rawForward(Block net, ParameterStore ps, NDArray x) {
        Inference.noGrad();
        return net.forward(ps, new ai.djl.ndarray.NDList(x), false).head().toFloatArray();
    }

    private static ScriptedForward scripted(Block net) {
        return (ScriptedForward) ((DataflowBlock) net).getCompiledForward();
    }

    /** Within 1e-4 of the largest logit (the exactness bound, relative for big random logits). */
    private static void assertClose(String what, float[] expected, float[] actual) {
        double scale = 1;
        for (float v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        double diff = maxDiff(expected, actual);
        assertTrue(diff <= 1e-4 * scale, what + ": scripted logits differ by " + diff + " (largest " + scale + ")");
    }

    private static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
