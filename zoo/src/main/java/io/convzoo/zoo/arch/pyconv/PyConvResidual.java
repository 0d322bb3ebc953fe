package io.convzoo.zoo.arch.pyconv;

import io.convzoo.blocks.script.ScriptWriter;
import io.convzoo.blocks.script.Scriptable;
import java.util.List;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.convzoo.blocks.Checks;
import io.convzoo.blocks.ForwardArrays;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.TracedBlock;
import io.convzoo.blocks.infer.ConvBn;
import io.convzoo.blocks.infer.FoldingSequential;
import io.convzoo.blocks.pyconv.PyConv;
import io.convzoo.blocks.script.ScriptedLambda;

/**
 * A residual block of PyConvResNet / PyConvHGResNet, with the official module names.
 *
 * <ul>
 *   <li>{@link Kind#BOTTLENECK} (official {@code PyConvBlock}): conv1 1×1 → bn1 → relu → conv2 PyConv
 *       (carries the stride) → bn2 → relu → conv3 1×1 to planes·expansion → bn3, plus the shortcut, relu.
 *       Expansion 4 in PyConvResNet, 2 in PyConvHGResNet.</li>
 *   <li>{@link Kind#BASIC} (official {@code PyConvBasicBlock2}, used by pyconvresnet18/34): conv1 PyConv
 *       (carries the stride) → bn1 → relu → conv2 1×1 → bn2, plus the shortcut, relu.</li>
 * </ul>
 *
 * <p>The shortcut ({@code downsample}) follows the official {@code _make_layer}: with a stride and a
 * channel change it is max pool 3×3/s (pad 1) → 1×1 conv → BN (children 0, 1, 2); with only a
 * channel change 1×1 conv → BN (children 0, 1); with only a stride a bare max pool; else identity.
 */
public class PyConvResidual extends TracedBlock implements Scriptable {

    /** Which official residual block. */
    public enum Kind { BOTTLENECK, BASIC }

    private static final String NAME = "PyConvResidual";

    private final Kind kind;
    private final int outChannels;
    private final Block conv1;
    private final Block bn1;
    private final Block conv2;
    private final Block bn2;
    private final Block conv3;
    private final Block bn3;
    private final Block relu;
    private final Block downsample;

    /**
     * @param kind bottleneck or basic
     * @param inChannels channels entering the block
     * @param planes the block's width (the PyConv's channels)
     * @param expansion output channels = planes · expansion
     * @param stride stride of the PyConv and of the shortcut's max pool
     * @param kernels PyConv kernel per level
     * @param groups PyConv groups per level
     * @param zeroInitLastBn start the last BN of the branch at gamma = 0
     */
    public PyConvResidual(Kind kind, int inChannels, int planes, int expansion, int stride, int[] kernels,
                          int[] groups, boolean zeroInitLastBn) {
        this.kind = kind;
        this.outChannels = planes * expansion;
        if (kind == Kind.BOTTLENECK) {
            conv1 = addChildBlock("conv1", Layers.conv1x1(planes, 1));
            bn1 = addChildBlock("bn1", Layers.batchNorm());
            conv2 = addChildBlock("conv2", PyConv.official(planes, kernels, groups, stride).buildLayer());
            bn2 = addChildBlock("bn2", Layers.batchNorm());
            conv3 = addChildBlock("conv3", Layers.conv1x1(outChannels, 1));
            bn3 = addChildBlock("bn3", zeroInitLastBn ? Layers.zeroGammaBatchNorm() : Layers.batchNorm());
            relu = addChildBlock("relu", Layers.relu());
        } else {
            Checks.require(expansion == 1, NAME, "the basic block has expansion 1, got " + expansion);
            conv1 = addChildBlock("conv1", PyConv.official(planes, kernels, groups, stride).buildLayer());
            bn1 = addChildBlock("bn1", Layers.batchNorm());
            relu = addChildBlock("relu", Layers.relu());
            conv2 = addChildBlock("conv2", Layers.conv1x1(planes, 1));
            bn2 = addChildBlock("bn2", zeroInitLastBn ? Layers.zeroGammaBatchNorm() : Layers.batchNorm());
            conv3 = null;
            bn3 = null;
        }
        Block shortcut = officialDownsample(inChannels, outChannels, stride);
        downsample = shortcut == null ? null : addChildBlock("downsample", shortcut);
    }

    /** The official {@code _make_layer} shortcut, or null for identity. */
    static Block officialDownsample(int inChannels, int outChannels, int stride) {
        if (stride != 1 && inChannels != outChannels) {
            return new FoldingSequential()
                    .add("0", maxPool(stride))
                    .add("1", Layers.conv1x1(outChannels, 1))
                    .add("2", Layers.batchNorm());
        }
        if (inChannels != outChannels) {
            return new FoldingSequential()
                    .add("0", Layers.conv1x1(outChannels, 1))
                    .add("1", Layers.batchNorm());
        }
        if (stride != 1) {
            return maxPool(stride);
        }
        return null;
    }

    private static Block maxPool(int stride) {
        return ScriptedLambda.maxPool2d(3, stride, 1);
    }

    /** Bottleneck or basic. */
    public Kind getKind() {
        return kind;
    }

    /** Output channels. */
    public int getOutChannels() {
        return outChannels;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        Checks.requireNchw(NAME, x, expectedChannels());
        // The relu child gives names and shapes; ReLU is applied here so that an eval forward frees each
        // conv output as soon as it is activated.
        NDArray out = ForwardArrays.reluOfFresh(ConvBn.forward(conv1, bn1, ps, x, training, params), training);
        NDArray next = ConvBn.forward(conv2, bn2, ps, out, training, params);
        ForwardArrays.release(training, new NDList(out));
        out = next;
        if (kind == Kind.BOTTLENECK) {
            NDArray relued = ForwardArrays.reluOfFresh(out, training);
            out = ConvBn.forward(conv3, bn3, ps, relued, training, params);
            ForwardArrays.release(training, new NDList(relued));
        }
        NDArray identity = downsample == null ? x : downsample.forward(ps, new NDList(x), training, params).head();
        return new NDList(ForwardArrays.residualRelu(out, identity, training));
    }

    @Override
    public List<String> emitScript(ScriptWriter w, List<String> inputs) {
        String x = w.share(inputs.get(0));
        String out = w.convBn(conv2, bn2, w.relu(w.convBn(conv1, bn1, x)));
        if (kind == Kind.BOTTLENECK) {
            out = w.convBn(conv3, bn3, w.relu(out));
        }
        String identity = downsample == null ? x : w.emit(downsample, x);
        return List.of(w.residualRelu(out, identity));
    }

    private long expectedChannels() {
        return inputShapes != null && inputShapes.length == 1 && inputShapes[0].dimension() == 4 ? inputShapes[0].get(1) : -1;
    }

    @Override
    protected Shape[] trace(Shape[] inputShapes, ChildVisitor visitor) {
        Checks.require(inputShapes.length == 1, NAME, "expected one input of shape (N, C, H, W), got "
                + inputShapes.length + " inputs");
        Checks.requireNchw(NAME, inputShapes[0], expectedChannels());
        Shape[] s = visit(visitor, "conv1", conv1, inputShapes);
        s = visit(visitor, "bn1", bn1, s);
        s = visit(visitor, "relu", relu, s);
        s = visit(visitor, "conv2", conv2, s);
        s = visit(visitor, "bn2", bn2, s);
        if (kind == Kind.BOTTLENECK) {
            s = visit(visitor, "relu", relu, s);
            s = visit(visitor, "conv3", conv3, s);
            s = visit(visitor, "bn3", bn3, s);
        }
        Shape[] identity = downsample == null ? inputShapes : visit(visitor, "downsample", downsample, inputShapes);
        Checks.require(identity[0].equals(s[0]), NAME, "residual branch " + s[0] + " and shortcut " + identity[0]
                + " differ; expected an input of shape (N, C, H, W) matching the block's configuration");
        return visit(visitor, "relu", relu, s);
    }
}
