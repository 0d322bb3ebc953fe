package io.convzoo.blocks.pyconv;

import io.convzoo.blocks.Checks;
import io.convzoo.blocks.DataflowBlock;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.NamedSequential;
import io.convzoo.blocks.Ops;
import io.convzoo.blocks.layers.AdaptiveAvgPool2d;

/**
 * Global PyConv block of the PyConv segmentation head (iduta/pyconvsegnet {@code GlobalPyConvBlock}):
 * adaptive average pool to {@code bins × bins} (9 in the paper, the size of the largest kernel, so
 * the pyramid sees the whole image), 1×1 conv to {@code reductionDim} + BN + ReLU, a 4-level PyConv
 * + BN + ReLU, 1×1 conv + BN + ReLU, then bilinear upsampling (align_corners = true, as the official
 * {@code F.interpolate} call) back to the input's H × W.
 *
 * <p>Children: {@code features} with {@code 0} (pool), {@code 1} conv, {@code 2} BN, {@code 3} ReLU,
 * {@code 4} PyConv ({@code conv2_1..conv2_4}), {@code 5} BN, {@code 6} ReLU, {@code 7} conv, {@code 8}
 * BN, {@code 9} ReLU, which gives the official parameter names.
 */
public class GlobalPyConv extends DataflowBlock {

    static final String NAME = "GlobalPyConv";

    private final int inChannels;
    private final int reductionDim;
    private final int bins;
    private final NamedSequential features;

    /** Official configuration: pool to 9×9, 512 channels, pyramid 3/5/7/9 with groups 1/4/8/16. */
    public GlobalPyConv(int inChannels) {
        this(inChannels, 512, 9, PyramidSpec.OFFICIAL_HEAD);
    }

    /**
     * @param inChannels channels of the input (checked in forward and shape inference)
     * @param reductionDim channels after the first 1×1 conv and at the output
     * @param bins side of the pooled map
     * @param pyramid kernels and groups of the PyConv
     */
    public GlobalPyConv(int inChannels, int reductionDim, int bins, PyramidSpec pyramid) {
        Checks.require(inChannels >= 1 && reductionDim >= 1 && bins >= 1, NAME,
                "inChannels, reductionDim and bins must be >= 1, got " + inChannels + ", " + reductionDim + ", " + bins);
        this.inChannels = inChannels;
        this.reductionDim = reductionDim;
        this.bins = bins;
        this.features = addChildBlock("features", new NamedSequential()
                .add("0", new AdaptiveAvgPool2d(bins, bins))
                .add("1", Layers.conv1x1(reductionDim, 1))
                .add("2", Layers.batchNorm())
                .add("3", Layers.relu())
                .add("4", pyramid.build(reductionDim))
                .add("5", Layers.batchNorm())
                .add("6", Layers.relu())
                .add("7", Layers.conv1x1(reductionDim, 1))
                .add("8", Layers.batchNorm())
                .add("9", Layers.relu()));
    }

    /** Output channels. */
    public int getReductionDim() {
        return reductionDim;
    }

    /** Side of the pooled map. */
    public int getBins() {
        return bins;
    }

    /** Expected input channels. */
    public int getInChannels() {
        return inChannels;
    }

    /** Pools, runs the features, and resizes back to the input's H × W (bilinear, corners aligned). */
    @Override
    protected <T> T forward(Ops<T> ops, T x) {
        ops.require(x, s -> Checks.requireNchw(NAME, s, inChannels));
        ops.share(x);
        return ops.resizeBilinearAlignedLike(ops.child(features, x), x);
    }
}
