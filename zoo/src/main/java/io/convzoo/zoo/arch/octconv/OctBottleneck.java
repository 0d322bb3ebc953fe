package io.convzoo.zoo.arch.octconv;

import ai.djl.nn.Block;
import io.convzoo.blocks.Ops;
import io.convzoo.blocks.ReluBlock;
import io.convzoo.blocks.layers.Residual;
import io.convzoo.blocks.octconv.OctConv;
import io.convzoo.blocks.octconv.OctConvBn;
import io.convzoo.blocks.octconv.OctConvBnAct;
import java.util.List;

/**
 * The official OctResNet {@code Bottleneck} (expansion 4): {@code conv1} (1×1 OctConv-BN-ReLU,
 * alpha {@code alphaIn -> alphaOut}), {@code conv2} (3×3 OctConv-BN-ReLU carrying the stride),
 * {@code conv3} (1×1 OctConv-BN), {@code relu} and the optional {@code downsample} (a sequence whose
 * child {@code 0} is an {@link OctConvBn}). conv2 and conv3 keep {@code alphaOut} on both sides;
 * the official code writes {@code 0 if output else 0.5} there, which is {@code alphaOut} in every
 * official call. The residual is added per frequency, then ReLU per frequency.
 *
 * <p>Reads and returns (high[, low]) lists as {@link OctConv} does: two arrays when
 * {@code alphaIn > 0} (resp. {@code alphaOut > 0}), else one.
 */
public class OctBottleneck extends Residual {

    /** Output channels per plane, as the official Bottleneck. */
    public static final int EXPANSION = 4;

    private final OctConvBnAct conv1;
    private final OctConvBnAct conv2;
    private final OctConvBn conv3;

    /**
     * @param inplanes input channels (high + low)
     * @param planes bottleneck planes; output channels are {@code planes * 4}
     * @param stride 1 or 2 (average pooling inside conv2 and the downsample)
     * @param downsample the projection of the residual, or null for identity
     * @param groups groups of conv2
     * @param baseWidth width per group (64 = plain ResNet)
     * @param alphaIn low-frequency fraction of the input
     * @param alphaOut low-frequency fraction inside the block and of its output
     * @param zeroInitLastBn start conv3's BatchNorms at gamma = 0
     */
    public OctBottleneck(int inplanes, int planes, int stride, Block downsample, int groups, int baseWidth,
                         double alphaIn, double alphaOut, boolean zeroInitLastBn) {
        super("OctBottleneck(" + inplanes + "->" + planes * EXPANSION + ", s" + stride + ")", 0);
        int width = (int) (planes * (baseWidth / 64.0)) * groups;
        this.conv1 = new OctConvBnAct(OctConv.builder().setChannels(inplanes, width).setKernel(1)
                .optAlpha(alphaIn, alphaOut).build());
        this.conv2 = new OctConvBnAct(OctConv.builder().setChannels(width, width).setKernel(3).optStride(stride)
                .optPadding(1).optGroups(groups).optAlpha(alphaOut, alphaOut).build());
        this.conv3 = new OctConvBn(OctConv.builder().setChannels(width, planes * EXPANSION).setKernel(1)
                .optAlpha(alphaOut, alphaOut).build(), zeroInitLastBn);
        Block relu = new ReluBlock();
        addChildBlock("conv1", conv1);
        addChildBlock("conv2", conv2);
        addChildBlock("conv3", conv3);
        addChildBlock("relu", relu);
        if (downsample != null) {
            addChildBlock("downsample", downsample);
            setShortcut(downsample);
        }
        setActivation(relu);
    }

    /** conv1 (an OctConv) checks the inputs. */
    @Override
    protected <T> void checkInputs(Ops<T> ops, List<T> inputs) {
    }

    @Override
    protected <T> List<T> branch(Ops<T> ops, List<T> inputs) {
        return ops.child(conv3, ops.child(conv2, ops.child(conv1, inputs)));
    }
}
