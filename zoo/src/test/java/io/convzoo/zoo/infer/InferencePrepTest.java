package io.convzoo.zoo.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.TestSupport;
import io.convzoo.blocks.infer.ConvBn;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.ModelRegistry;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The inference preparation keeps the numbers: for a small model of every family, logits of the
 * prepared (BatchNorm folded) path stay within 1e-4 of the plain conv + BatchNorm path, with
 * non-trivial BatchNorm statistics and affine parameters; every BatchNorm really is folded; and a
 * training-mode forward, replaced parameter arrays and in-place writes followed by refresh are all
 * seen by the folded path.
 */
class InferencePrepTest {

    private static final double TOLERANCE = 1e-4;

    /**
     * @param expectedBatchNorms BatchNorms the preparation marks
     * @param expectedFolded those that directly follow a (Py)Conv and so run folded
     */
    private static void check(String name, Supplier<Block> builder, Shape input, int expectedBatchNorms,
                              int expectedFolded) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = builder.get();
            TestSupport.init(block, manager, input);
            randomizeBatchNorms(block, manager, 1);
            ParameterStore ps = new ParameterStore(manager, false);
            NDArray x = TestSupport.random(manager, input, 7);
            float[] plain = Inference.forward(block, ps, x).head().toFloatArray();

            int foldable = Inference.prepare(block, false); // block by block: the folding itself
            assertEquals(expectedBatchNorms, foldable, name + ": BatchNorms seen by the preparation");
            float[] prepared = Inference.forward(block, ps, x).head().toFloatArray();
            assertEquals(expectedFolded, ConvBn.foldedCount(block), name + ": BatchNorms folded into their conv");
            TestSupport.assertClose(plain, prepared, TOLERANCE);
            assertTrue(maxAbs(plain) > 1e-3, name + ": logits are not trivially zero");

            // New statistics written in place: refresh refolds them.
            randomizeBatchNorms(block, manager, 2);
            Inference.unprepare(block);
            float[] plain2 = Inference.forward(block, ps, x).head().toFloatArray();
            Inference.prepare(block, false);
            Inference.forward(block, ps, x);
            randomizeBatchNorms(block, manager, 3);
            ConvBn.refresh(block);
            float[] prepared3 = Inference.forward(block, ps, x).head().toFloatArray();
            Inference.unprepare(block);
            float[] plain3 = Inference.forward(block, ps, x).head().toFloatArray();
            TestSupport.assertClose(plain3, prepared3, TOLERANCE);
            assertTrue(maxDiff(plain2, plain3) > 1e-4, name + ": the new statistics change the logits");
            assertEquals(0, ConvBn.foldedCount(block), name + ": unprepare releases the folded convs");
        }
    }

    /** Random running statistics and affine parameters (seeded), written into the existing arrays. */
    static void randomizeBatchNorms(Block block, NDManager manager, long seed) {
        long s = seed;
        for (var p : block.getParameters()) {
            Parameter param = p.getValue();
            String key = p.getKey();
            boolean bn = param.getType() == Parameter.Type.RUNNING_MEAN || param.getType() == Parameter.Type.RUNNING_VAR
                    || key.endsWith("gamma") || key.endsWith("beta");
            if (!bn) {
                continue;
            }
            NDArray a = param.getArray();
            float[] v = TestSupport.randomFloats((int) a.size(), s++);
            for (int i = 0; i < v.length; i++) {
                if (param.getType() == Parameter.Type.RUNNING_VAR) {
                    v[i] = 0.5f + Math.abs(v[i]);
                } else if (key.endsWith("gamma")) {
                    v[i] = 0.5f + 0.5f * Math.abs(v[i]);
                } else {
                    v[i] *= 0.2f;
                }
            }
            a.set(v);
        }
    }

    private static double maxAbs(float[] v) {
        double m = 0;
        for (float f : v) {
            m = Math.max(m, Math.abs(f));
        }
        return m;
    }

    private static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    private static void checkRegistered(String id, Shape input, int batchNorms, int folded) {
        check(id, () -> ModelRegistry.get(id).build(), input, batchNorms, folded);
    }

    @Test
    void pyconvSmallKeepsLogits() {
        // Stem, 8 basic blocks × 2, 3 downsample BNs: all follow a conv or a PyConv.
        checkRegistered("pyconvresnet_small", new Shape(2, 1, 28, 28), 20, 20);
    }

    @Test
    void res2netSmallKeepsLogits() {
        checkRegistered("res2net_small", new Shape(2, 1, 28, 28), 45, 45);
    }

    @Test
    void res2netV1bKeepsLogits() {
        // Deep stem: its bn1 follows the conv1 sequence (three convs) and folds into the last of them.
        checkRegistered("res2net50_v1b", new Shape(1, 3, 64, 64), 87, 87);
    }

    @Test
    void dyResNetSmallKeepsLogits() {
        // Every conv but the stem's is dynamic: their BatchNorms are folded into the kernel bank.
        checkRegistered("dy_resnet_small", new Shape(2, 1, 28, 28), 12, 12);
        // A batch of one takes the shorter path (no batch folding, the BatchNorm shift used as is).
        checkRegistered("dy_resnet_small", new Shape(1, 1, 28, 28), 12, 12);
    }

    @Test
    void condConvEfficientNetKeepsLogits() {
        // Stem and head 1 each, the DS block 2, 15 inverted residuals 3: the CondConv2d BatchNorms fold into
        // timm's flattened expert banks.
        checkRegistered("efficientnet_cc_b0_4e", new Shape(2, 3, 32, 32), 49, 49);
        checkRegistered("efficientnet_cc_b0_4e", new Shape(1, 3, 32, 32), 49, 49);
    }

    @Test
    void octResNetSmallKeepsLogits() {
        // Stem 1; stages 1 and 2 (both frequencies out): 3 OctConvBn x 2 BNs per block + a 2-BN
        // downsample = 14 each; stages 3 and 4 (high only): 3 per block + a downsample = 7 each.
        // Every OctConvBn's BNs fold into the paths summed before them.
        checkRegistered("oct_resnet_small", new Shape(2, 1, 28, 28), 43, 43);
    }

    /** The official OctResNet layout (stride-2 OctConvs, low path into layer4's first block), reduced planes. */
    private static Block officialOctLayout() {
        return io.convzoo.zoo.arch.octconv.OctResNet.custom("oct_custom", 16, new int[] {1, 1, 1, 1},
                new int[] {8, 16, 16, 16}, new ModelArgs(10, 3, false, Map.of()));
    }

    @Test
    void octResNetImagenetLayoutKeepsLogits() {
        check("oct_custom", InferencePrepTest::officialOctLayout, new Shape(1, 3, 64, 64), 29, 29);
    }

    @Test
    void batchesOfFourOrMoreRunChannelsLastAndKeepLogits() {
        // From batch 4 a prepared model is given a channels-last input (ChannelsLast.pays): the whole
        // forward, folding, in-place sums and octave views included, must still give the plain logits.
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = ModelRegistry.get("resnet50").build(ModelArgs.imagenet().withNumClasses(10));
            Shape batch8 = new Shape(8, 3, 32, 32);
            TestSupport.init(block, manager, batch8);
            NDArray x = TestSupport.random(manager, batch8, 5);
            assertSame(x, Inference.preparedInput(block, x), "not prepared: the input as is");
            Inference.prepare(block, false);
            assertNotSame(x, Inference.preparedInput(block, x), "prepared, batch 8: a channels-last copy");
            NDArray one = TestSupport.random(manager, new Shape(1, 3, 32, 32), 5);
            assertSame(one, Inference.preparedInput(block, one), "prepared, batch 1: the input as is");
        }
        check("oct_custom", InferencePrepTest::officialOctLayout, new Shape(8, 3, 64, 64), 29, 29);
        checkRegistered("res2net50_v1b", new Shape(8, 3, 32, 32), 87, 87);
        check("resnet50", () -> ModelRegistry.get("resnet50").build(ModelArgs.imagenet().withNumClasses(10)), new Shape(8, 3, 32, 32), 53, 53);
        // PyConv levels (grouped and block-diagonal) and the dynamic convs, whose batch folding
        // returns to NCHW: stem + 16 bottlenecks x 3 + 4 downsamples; stem + 8 basic blocks x 2 + 3.
        checkRegistered("pyconvresnet50", new Shape(4, 3, 32, 32), 53, 53);
        checkRegistered("dy_resnet18", new Shape(4, 3, 32, 32), 20, 20);
    }

    @Test
    void referenceResNet50KeepsLogits() {
        check("resnet50", () -> ModelRegistry.get("resnet50").build(ModelArgs.imagenet().withNumClasses(10)), new Shape(1, 3, 64, 64), 53, 53);
    }

    @Test
    void trainingForwardAndReplacedArraysAreSeen() throws Exception {
        checkTrainingAndReload("res2net_small");
    }

    @Test
    void octavePathsSeeTrainingForwardAndReplacedArrays() throws Exception {
        checkTrainingAndReload("oct_resnet_small");
    }

    private static void checkTrainingAndReload(String id) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = ModelRegistry.get(id).build(new ModelArgs(10, 1, false, Map.of()));
            Shape input = new Shape(2, 1, 28, 28);
            TestSupport.init(block, manager, input);
            randomizeBatchNorms(block, manager, 1);
            ParameterStore ps = new ParameterStore(manager, false);
            NDArray x = TestSupport.random(manager, input, 7);
            Inference.prepare(block, false);
            Inference.forward(block, ps, x);
            // A training forward updates running statistics in place; the next eval forward must refold.
            try (NDManager scope = manager.newSubManager()) {
                NDArray xt = x.duplicate();
                xt.attach(scope);
                block.forward(ps, new ai.djl.ndarray.NDList(xt), true);
            }
            float[] preparedAfterTraining = Inference.forward(block, ps, x).head().toFloatArray();
            Inference.unprepare(block);
            float[] plainAfterTraining = Inference.forward(block, ps, x).head().toFloatArray();
            TestSupport.assertClose(plainAfterTraining, preparedAfterTraining, TOLERANCE);

            // Loading parameters replaces the arrays: the folded convs must follow without refresh.
            java.io.ByteArrayOutputStream saved = new java.io.ByteArrayOutputStream();
            block.saveParameters(new java.io.DataOutputStream(saved));
            Inference.prepare(block, false);
            randomizeBatchNorms(block, manager, 5);
            ConvBn.refresh(block);
            float[] other = Inference.forward(block, ps, x).head().toFloatArray();
            block.loadParameters(manager, new java.io.DataInputStream(
                    new java.io.ByteArrayInputStream(saved.toByteArray())));
            float[] preparedAfterLoad = Inference.forward(block, ps, x).head().toFloatArray();
            TestSupport.assertClose(plainAfterTraining, preparedAfterLoad, TOLERANCE);
            assertTrue(maxDiff(other, preparedAfterLoad) > 1e-4, "the loaded values differ from the overwritten ones");
            assertTrue(Layers.countParameters(block) > 0);
        }
    }
}
