package io.convzoo.blocks.conv;

import ai.djl.nn.Block;
import io.convzoo.blocks.Checks;
import io.convzoo.blocks.DataflowBlock;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.Ops;

/**
 * Depthwise separable convolution (MobileNet): a k×k "depthwise" conv with one filter per input
 * channel (groups = C), then a 1×1 "pointwise" conv that mixes channels to the output count.
 * Optionally a BatchNorm ("bn") and ReLU ("relu") sit between the two, as in MobileNet.
 *
 * <p>Children, in order: {@code depthwise}, [{@code bn}, {@code relu}], {@code pointwise}. The
 * number of input channels is fixed at construction (it sets the depthwise groups) and every
 * input is checked against it.
 */
public class DepthwiseSeparableConv extends DataflowBlock {

    /** Name used in error messages. */
    public static final String NAME = "DepthwiseSeparableConv";

    private final int inChannels;
    private final int outChannels;
    private final CheckedConv2d depthwise;
    private final Block bn;
    private final Block relu;
    private final CheckedConv2d pointwise;

    /**
     * @param inChannels input channels C (the depthwise conv has C filters, groups = C)
     * @param outChannels output channels of the pointwise conv
     * @param kernel depthwise kernel size
     * @param stride depthwise stride
     * @param padding depthwise padding
     * @param dilation depthwise dilation
     * @param bias whether both convs carry a bias
     * @param normActBetween whether BatchNorm + ReLU sit between depthwise and pointwise
     */
    public DepthwiseSeparableConv(int inChannels, int outChannels, int kernel, int stride, int padding,
                                  int dilation, boolean bias, boolean normActBetween) {
        Checks.require(inChannels >= 1 && outChannels >= 1, NAME,
                "channels must be >= 1, got in=" + inChannels + " out=" + outChannels);
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        depthwise = addChildBlock("depthwise", CheckedConv2d.create(NAME + ".depthwise", inChannels, inChannels,
                kernel, stride, padding, dilation, inChannels, bias));
        bn = normActBetween ? addChildBlock("bn", Layers.batchNorm()) : null;
        relu = normActBetween ? addChildBlock("relu", Layers.relu()) : null;
        pointwise = addChildBlock("pointwise", CheckedConv2d.create(NAME + ".pointwise", inChannels, outChannels, 1,
                1, 0, 1, 1, bias));
    }

    /** Plain depthwise + pointwise, no bias, nothing in between. */
    public DepthwiseSeparableConv(int inChannels, int outChannels, int kernel, int stride, int padding) {
        this(inChannels, outChannels, kernel, stride, padding, 1, false, false);
    }

    /** Input channels C. */
    public int getInChannels() {
        return inChannels;
    }

    /** Output channels. */
    public int getOutChannels() {
        return outChannels;
    }

    /** The k×k per-channel conv. */
    public CheckedConv2d getDepthwise() {
        return depthwise;
    }

    /** The 1×1 channel-mixing conv. */
    public CheckedConv2d getPointwise() {
        return pointwise;
    }

    @Override
    protected <T> T forward(Ops<T> ops, T x) {
        ops.require(x, s -> Checks.requireNchw(NAME, s, inChannels));
        T y = bn == null ? ops.child(depthwise, x) : ops.child(relu, ops.convBn(depthwise, bn, x));
        return ops.child(pointwise, y);
    }
}
