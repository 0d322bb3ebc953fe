package io.convzoo.blocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.convzoo.blocks.dynamic.DynamicConv2d;
import io.convzoo.blocks.hetconv.HetConv;
import io.convzoo.blocks.pyconv.PyConv;
import io.convzoo.blocks.res2net.Res2NetBottleneck;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Repeated forwards (eval and training) leave no array behind in the manager that owns the parameters;
 * a forward (eval or training) frees its intermediates as they die, and cached constants survive that.
 */
class ForwardArraysTest {

    private static NamedSequential threeSteps() {
        return new NamedSequential().add("conv1", Layers.conv3x3(8, 1, 1)).add("relu", Layers.relu())
                .add("conv2", Layers.conv1x1(4, 1));
    }

    @Test
    void evalSequenceFreesIntermediatesAndKeepsTheNumbers() {
        Shape in = new Shape(2, 3, 6, 6);
        NamedSequential net = threeSteps();
        try (NDManager model = NDManager.newBaseManager()) {
            TestSupport.init(net, model, in);
            ParameterStore ps = new ParameterStore(model, false);
            for (boolean training : new boolean[] {false, true}) {
                try (NDManager forward = model.newSubManager()) {
                    NDArray x = TestSupport.random(forward, in, 3);
                    // The same steps called one by one, nothing freed: the reference numbers.
                    NDList expected = new NDList(x);
                    for (Block child : net.getChildren().values()) {
                        expected = child.forward(ps, expected, false);
                    }
                    int before = forward.getManagedArrays().size();
                    NDList y = net.forward(ps, new NDList(x), training);
                    TestSupport.assertClose(expected.head().toFloatArray(), y.head().toFloatArray(), 1e-6);
                    int made = forward.getManagedArrays().size() - before;
                    // Training too: autograd holds its own references to what the backward reads.
                    assertEquals(1, made, (training ? "a training" : "an eval") + " forward keeps only its output");
                    assertFalse(x.isReleased(), "the caller's input is never freed");
                }
            }
        }
    }

    @Test
    void aTrainingForwardThatFreesItsIntermediatesStillHasExactGradients() {
        // A Res2Net bottleneck: split, per-level convs, scale-free sums, cat, BN with batch statistics,
        // a projection shortcut and the residual sum, whose input is released after its last read.
        Res2NetBottleneck block = Res2NetBottleneck.builder().inChannels(8).planes(8).baseWidth(16).scale(4).build();
        TestSupport.assertInputGradientMatchesCentralDifferences(block, new Shape(2, 8, 5, 5), 3,
                left -> assertEquals(1, left, "only the output is left"));
    }

    /** A backbone's feature tap: the stem's output is kept as a feature and is also the residual's input. */
    private static final class FeatureTap extends NamedSequential {
        @Override
        public <T> List<T> forward(Ops<T> ops, List<T> inputs) {
            T feature = ops.share(ops.child(getChildren().valueAt(0), inputs).get(0));
            T out = ops.child(getChildren().valueAt(1), List.of(feature)).get(0);
            return List.of(feature, out);
        }
    }

    @Test
    void aValueSharedTwiceOutlivesTheResidualThatReadsItLast() {
        FeatureTap net = new FeatureTap();
        net.add("stem", Layers.conv1x1(32, 1));
        // 32 -> 32 channels: no downsample, the input itself is the identity the block sums.
        net.add("block", Res2NetBottleneck.builder().inChannels(32).planes(8).baseWidth(16).scale(4).build());
        Shape in = new Shape(2, 3, 6, 6);
        try (NDManager model = NDManager.newBaseManager()) {
            TestSupport.init(net, model, in);
            ParameterStore ps = new ParameterStore(model, false);
            for (boolean training : new boolean[] {false, true}) {
                try (NDManager forward = model.newSubManager()) {
                    NDArray x = TestSupport.random(forward, in, 4);
                    NDArray stem = net.getChildren().valueAt(0).forward(ps, new NDList(x), training).head();
                    NDArray block = net.getChildren().valueAt(1).forward(ps, new NDList(stem), training).head();
                    NDList both = net.forward(ps, new NDList(x), training);
                    assertFalse(both.get(0).isReleased(), "the feature the residual read last is kept");
                    TestSupport.assertClose(stem.toFloatArray(), both.get(0).toFloatArray(), 1e-6);
                    TestSupport.assertClose(block.toFloatArray(), both.get(1).toFloatArray(), 1e-5);
                }
            }
        }
    }

    @Test
    void cachedConstantsSurviveTheStepThatMadeThem() {
        // HetConv makes its index maps at its first forward, inside the sequence's step scope.
        Shape in = new Shape(1, 16, 6, 6);
        HetConv het = new HetConv(16, 16, 4, 1, true, HetConv.Strategy.DENSE_KERNEL);
        NamedSequential net = new NamedSequential().add("het", het).add("relu", Layers.relu());
        try (NDManager model = NDManager.newBaseManager()) {
            TestSupport.init(net, model, in);
            ParameterStore ps = new ParameterStore(model, false);
            NDArray x = TestSupport.random(model, in, 5);
            int before = model.getManagedArrays().size();
            float[] first = net.forward(ps, new NDList(x), false).head().toFloatArray();
            int afterFirst = model.getManagedArrays().size();
            // HetConv's 8 index/mask arrays outlive the step that made them, beside the output.
            assertEquals(before + 8 + 1, afterFirst);
            float[] second = net.forward(ps, new NDList(x), false).head().toFloatArray();
            TestSupport.assertClose(first, second, 0);
            // Only the second output was added: the index maps were reused, not closed and remade.
            assertEquals(afterFirst + 1, model.getManagedArrays().size());
        }
    }

    @Test
    void blocksThatDeriveKernelsFromParametersDoNotGrowTheModelManager() {
        List<Block> blocks = List.of(
                PyConv.builder().addLevel(8, 3, 1).addLevel(8, 7, 4).addLevel(16, 9, 8).build(),
                new HetConv(32, 32, 4, 1, true, HetConv.Strategy.DENSE_KERNEL),
                new HetConv(32, 32, 4, 1, true, HetConv.Strategy.GROUPED_PLUS_POINTWISE),
                DynamicConv2d.builder().setInChannels(32).setOutChannels(16).setKernelSize(3).optPadding(1).build());
        Shape in = new Shape(2, 32, 10, 10);
        for (Block block : blocks) {
            try (NDManager model = NDManager.newBaseManager()) {
                TestSupport.init(block, model, in);
                // Warm-up: blocks may cache per-device constants (HetConv's index maps) once.
                try (NDManager forward = model.newSubManager()) {
                    block.forward(new ParameterStore(forward, false), new NDList(TestSupport.random(forward, in, 9)), false);
                }
                int before = model.getManagedArrays().size();
                for (boolean training : new boolean[] {false, true}) {
                    for (int i = 0; i < 3; i++) {
                        try (NDManager forward = model.newSubManager()) {
                            NDArray x = TestSupport.random(forward, in, i);
                            if (training) {
                                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                                    gc.backward(block.forward(new ParameterStore(forward, false), new NDList(x), true)
                                            .head().sum());
                                }
                            } else {
                                block.forward(new ParameterStore(forward, false), new NDList(x), false);
                            }
                        }
                    }
                }
                assertEquals(before, model.getManagedArrays().size(), block + " left arrays in the model's manager");
            }
        }
    }
}
