package io.convzoo.blocks.pyconv;

import io.convzoo.blocks.Checks;
import io.convzoo.blocks.DataflowBlock;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.NamedSequential;
import io.convzoo.blocks.Ops;

/**
 * Local PyConv block of the PyConv segmentation head (iduta/pyconvsegnet {@code LocalPyConvBlock}):
 * 1×1 conv reducing the channels by {@code reduction} + BN + ReLU, a 4-level PyConv at full
 * resolution + BN + ReLU, 1×1 conv to {@code outChannels} + BN + ReLU.
 *
 * <p>Children: {@code layers} with {@code 0} conv, {@code 1} BN, {@code 2} ReLU, {@code 3} PyConv,
 * {@code 4} BN, {@code 5} ReLU, {@code 6} conv, {@code 7} BN, {@code 8} ReLU (official names).
 */
public class LocalPyConv extends DataflowBlock {

    static final String NAME = "LocalPyConv";

    private final int inChannels;
    private final int outChannels;
    private final NamedSequential layers;

    /** Official configuration: reduction 4, pyramid 3/5/7/9 with groups 1/4/8/16. */
    public LocalPyConv(int inChannels, int outChannels) {
        this(inChannels, outChannels, 4, PyramidSpec.OFFICIAL_HEAD);
    }

    /**
     * @param inChannels channels of the input (checked)
     * @param outChannels channels of the output
     * @param reduction the PyConv works on {@code inChannels / reduction} channels
     * @param pyramid kernels and groups of the PyConv
     */
    public LocalPyConv(int inChannels, int outChannels, int reduction, PyramidSpec pyramid) {
        Checks.require(inChannels >= 1 && outChannels >= 1 && reduction >= 1, NAME,
                "inChannels, outChannels and reduction must be >= 1, got " + inChannels + ", " + outChannels
                        + ", " + reduction);
        Checks.requireDivisible(NAME, "inChannels", inChannels, "reduction", reduction);
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        int mid = inChannels / reduction;
        this.layers = addChildBlock("layers", new NamedSequential()
                .add("0", Layers.conv1x1(mid, 1))
                .add("1", Layers.batchNorm())
                .add("2", Layers.relu())
                .add("3", pyramid.build(mid))
                .add("4", Layers.batchNorm())
                .add("5", Layers.relu())
                .add("6", Layers.conv1x1(outChannels, 1))
                .add("7", Layers.batchNorm())
                .add("8", Layers.relu()));
    }

    /** Expected input channels. */
    public int getInChannels() {
        return inChannels;
    }

    /** Output channels. */
    public int getOutChannels() {
        return outChannels;
    }

    @Override
    protected <T> T forward(Ops<T> ops, T x) {
        ops.require(x, s -> Checks.requireNchw(NAME, s, inChannels));
        return ops.child(layers, x);
    }
}
