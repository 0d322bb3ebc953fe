package io.convzoo.zoo.arch.pyconv;

import ai.djl.nn.Block;
import io.convzoo.blocks.Checks;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.NamedSequential;
import io.convzoo.blocks.Ops;
import io.convzoo.blocks.layers.MaxPool2d;
import io.convzoo.blocks.layers.Residual;
import io.convzoo.blocks.pyconv.PyConv;
import java.util.List;

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
 *
 * <p>Dilated (iduta/pyconvsegnet {@code build_backbone_layers}, output stride 8 or 16): every
 * PyConv level gets dilation d and padding d·(k/2) and stride 1; the shortcut keeps the structure of
 * the block's stride but its max pool runs at stride 1 (the official code sets the stride of
 * {@code downsample.0} to 1, so the 3×3 pool still filters the identity).
 */
public class PyConvResidual extends Residual {

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
        this(kind, inChannels, planes, expansion, stride, 1, kernels, groups, zeroInitLastBn);
    }

    /**
     * A block of a dilated stage ({@code dilation > 1}: it runs at stride 1, {@code stride} only fixes the
     * shortcut's structure); with dilation 1 the block above.
     */
    public PyConvResidual(Kind kind, int inChannels, int planes, int expansion, int stride, int dilation,
                          int[] kernels, int[] groups, boolean zeroInitLastBn) {
        super(NAME, inChannels);
        Checks.require(dilation >= 1, NAME, "dilation must be >= 1, got " + dilation);
        int convStride = dilation == 1 ? stride : 1;
        this.kind = kind;
        this.outChannels = planes * expansion;
        if (kind == Kind.BOTTLENECK) {
            conv1 = addChildBlock("conv1", Layers.conv1x1(planes, 1));
            bn1 = addChildBlock("bn1", Layers.batchNorm());
            conv2 = addChildBlock("conv2", pyconv(planes, kernels, groups, convStride, dilation));
            bn2 = addChildBlock("bn2", Layers.batchNorm());
            conv3 = addChildBlock("conv3", Layers.conv1x1(outChannels, 1));
            bn3 = addChildBlock("bn3", zeroInitLastBn ? Layers.zeroGammaBatchNorm() : Layers.batchNorm());
            relu = addChildBlock("relu", Layers.relu());
        } else {
            Checks.require(expansion == 1, NAME, "the basic block has expansion 1, got " + expansion);
            conv1 = addChildBlock("conv1", pyconv(planes, kernels, groups, convStride, dilation));
            bn1 = addChildBlock("bn1", Layers.batchNorm());
            relu = addChildBlock("relu", Layers.relu());
            conv2 = addChildBlock("conv2", Layers.conv1x1(planes, 1));
            bn2 = addChildBlock("bn2", zeroInitLastBn ? Layers.zeroGammaBatchNorm() : Layers.batchNorm());
            conv3 = null;
            bn3 = null;
        }
        Block shortcut = officialDownsample(inChannels, outChannels, stride, convStride);
        if (shortcut != null) {
            setShortcut(addChildBlock("downsample", shortcut));
        }
        setActivation(relu);
    }

    private static Block pyconv(int planes, int[] kernels, int[] groups, int stride, int dilation) {
        return PyConv.official(planes, kernels, groups, stride).optDilation(dilation).buildLayer();
    }

    /** The official {@code _make_layer} shortcut, or null for identity. */
    static Block officialDownsample(int inChannels, int outChannels, int stride) {
        return officialDownsample(inChannels, outChannels, stride, stride);
    }

    /** The official {@code _make_layer} shortcut for {@code stride}, its pool run at {@code poolStride}; null for identity. */
    static Block officialDownsample(int inChannels, int outChannels, int stride, int poolStride) {
        if (stride != 1 && inChannels != outChannels) {
            return new NamedSequential()
                    .add("0", maxPool(poolStride))
                    .add("1", Layers.conv1x1(outChannels, 1))
                    .add("2", Layers.batchNorm());
        }
        if (inChannels != outChannels) {
            return new NamedSequential()
                    .add("0", Layers.conv1x1(outChannels, 1))
                    .add("1", Layers.batchNorm());
        }
        if (stride != 1) {
            return maxPool(poolStride);
        }
        return null;
    }

    private static Block maxPool(int stride) {
        return new MaxPool2d(3, stride, 1);
    }

    /** Bottleneck or basic. */
    public Kind getKind() {
        return kind;
    }

    /** Output channels. */
    public int getOutChannels() {
        return outChannels;
    }

    /** The relu child gives the official module names; the same ReLU is applied after each BN but the last. */
    @Override
    protected <T> List<T> branch(Ops<T> ops, List<T> inputs) {
        T out = ops.convBn(conv2, bn2, ops.child(relu, ops.convBn(conv1, bn1, inputs.get(0))));
        if (kind == Kind.BOTTLENECK) {
            out = ops.convBn(conv3, bn3, ops.child(relu, out));
        }
        return List.of(out);
    }
}
