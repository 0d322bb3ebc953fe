package io.convzoo.blocks.conv;

import io.convzoo.blocks.ConvMath;

/**
 * Grouped convolution: the input channels are split into {@code groups} equal groups, each
 * convolved only with its own group of output channels, so weights and MACs shrink by the
 * factor {@code groups} compared with a dense conv. It is one engine op (a {@link CheckedConv2d},
 * i.e. a DJL Conv2d with input validation); this class only gathers the factories and formulas.
 */
public final class GroupedConv {

    /** Name used in error messages. */
    public static final String NAME = "GroupedConv";

    private GroupedConv() {}

    /**
     * A square grouped conv from {@code inChannels} to {@code outChannels}; both must be divisible
     * by {@code groups}. {@code inChannels} may be 0 to infer it from the first input.
     */
    public static CheckedConv2d of(int inChannels, int outChannels, int kernel, int stride, int padding,
                                   int groups, boolean bias) {
        return CheckedConv2d.create(NAME + "(groups=" + groups + ")", inChannels, outChannels, kernel, stride,
                padding, 1, groups, bias);
    }

    /** Weights (plus bias) of a grouped conv: out * (in / groups) * k * k (+ out). */
    public static long parameters(long inChannels, long outChannels, long kernel, long groups, boolean bias) {
        return ConvMath.convParams(inChannels, outChannels, kernel, kernel, groups, bias);
    }

    /** MACs of a grouped conv producing an {@code outHeight × outWidth} map. */
    public static long macs(long inChannels, long outChannels, long kernel, long groups, long outHeight,
                            long outWidth) {
        return ConvMath.convMacs(inChannels, outChannels, kernel, kernel, groups, outHeight, outWidth);
    }

    /** Output length along one axis: floor((i + 2p - (k - 1) - 1) / s) + 1. */
    public static long outputSize(long input, long kernel, long stride, long padding) {
        return ConvMath.outputSize(input, kernel, stride, padding, 1);
    }
}
