package io.convzoo.blocks.conv;

import io.convzoo.blocks.Checks;
import io.convzoo.blocks.ConvMath;

/**
 * Dilated (atrous) convolution: {@code dilation - 1} gaps between the kernel taps enlarge the
 * receptive field to {@code k + (k - 1)(d - 1)} with the same number of weights. One engine op
 * (a {@link CheckedConv2d}); this class gathers the factories and the size formulas.
 */
public final class DilatedConv {

    /** Name used in error messages. */
    public static final String NAME = "DilatedConv";

    private DilatedConv() {}

    /** A square dilated conv with explicit padding. {@code inChannels} may be 0 (inferred). */
    public static CheckedConv2d of(int inChannels, int outChannels, int kernel, int stride, int padding,
                                   int dilation, int groups, boolean bias) {
        return CheckedConv2d.create(NAME + "(dilation=" + dilation + ")", inChannels, outChannels, kernel,
                stride, padding, dilation, groups, bias);
    }

    /**
     * A dilated conv padded so that stride 1 keeps the spatial size ("same"); needs an odd kernel.
     */
    public static CheckedConv2d same(int inChannels, int outChannels, int kernel, int stride, int dilation,
                                     boolean bias) {
        return of(inChannels, outChannels, kernel, stride, samePadding(kernel, dilation), dilation, 1, bias);
    }

    /** Padding d(k - 1)/2 that keeps the size at stride 1; the kernel must be odd. */
    public static int samePadding(int kernel, int dilation) {
        Checks.require(kernel % 2 == 1, NAME, "\"same\" padding needs an odd kernel, got " + kernel);
        return dilation * (kernel - 1) / 2;
    }

    /** Receptive field of one dilated kernel: k + (k - 1)(d - 1). */
    public static long receptiveField(long kernel, long dilation) {
        return ConvMath.receptiveField(kernel, dilation);
    }

    /** Output length along one axis: floor((i + 2p - d(k - 1) - 1) / s) + 1. */
    public static long outputSize(long input, long kernel, long stride, long padding, long dilation) {
        return ConvMath.outputSize(input, kernel, stride, padding, dilation);
    }
}
