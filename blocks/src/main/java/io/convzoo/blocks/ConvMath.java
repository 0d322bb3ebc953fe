package io.convzoo.blocks;

/**
 * Closed-form arithmetic of 2-D convolutions: output size, receptive field, parameter and
 * multiply-accumulate (MAC) counts. The model summary and the blocks' shape inference both use
 * these, so a formula lives in exactly one place.
 */
public final class ConvMath {

    private ConvMath() {}

    /** Output length o = floor((i + 2p - d(k-1) - 1) / s) + 1 along one spatial axis. */
    public static long outputSize(long input, long kernel, long stride, long padding, long dilation) {
        if (kernel < 1 || stride < 1 || dilation < 1 || padding < 0) {
            throw new IllegalArgumentException(
                    "conv arithmetic: kernel, stride and dilation must be >= 1 and padding >= 0, got k="
                            + kernel + " s=" + stride + " p=" + padding + " d=" + dilation);
        }
        long span = input + 2 * padding - dilation * (kernel - 1) - 1;
        if (span < 0) {
            throw new IllegalArgumentException(
                    "conv arithmetic: input length " + input + " is smaller than the dilated kernel "
                            + receptiveField(kernel, dilation) + " (with padding " + padding + ")");
        }
        return Math.floorDiv(span, stride) + 1;
    }

    /**
     * Output length of a pooling window along one axis, PyTorch's rule: floor mode as a conv; in ceil
     * mode the last window must start inside the input or the left padding.
     */
    public static long poolOutputSize(long input, long kernel, long stride, long padding, boolean ceilMode) {
        if (!ceilMode) {
            return outputSize(input, kernel, stride, padding, 1);
        }
        long span = input + 2 * padding - kernel;
        if (span < 0) {
            throw new IllegalArgumentException("pool arithmetic: input length " + input + " is smaller than the kernel "
                    + kernel + " (with padding " + padding + ")");
        }
        long out = Math.floorDiv(span + stride - 1, stride) + 1;
        if ((out - 1) * stride >= input + padding) {
            out--;
        }
        return out;
    }

    /**
     * timm's {@code make_divisible(v, divisor, round_limit=roundLimit)}: {@code v} rounded to the nearest multiple of
     * {@code divisor}, at least {@code divisor}, plus one more divisor where rounding lost more than
     * {@code 1 - roundLimit} of {@code v}.
     */
    public static int makeDivisible(double v, int divisor, double roundLimit) {
        int rounded = Math.max(divisor, (int) (v + divisor / 2.0) / divisor * divisor);
        return rounded < roundLimit * v ? rounded + divisor : rounded;
    }

    /** Receptive field of one dilated kernel: k + (k - 1)(d - 1). */
    public static long receptiveField(long kernel, long dilation) {
        return kernel + (kernel - 1) * (dilation - 1);
    }

    /** Weights (plus bias) of a conv: cout * (cin / groups) * kh * kw (+ cout). */
    public static long convParams(long inChannels, long outChannels, long kh, long kw, long groups, boolean bias) {
        requireGroups(inChannels, outChannels, groups);
        return outChannels * (inChannels / groups) * kh * kw + (bias ? outChannels : 0);
    }

    /** MACs of a conv: output elements * (cin / groups) * kh * kw. */
    public static long convMacs(long inChannels, long outChannels, long kh, long kw, long groups,
                                long outHeight, long outWidth) {
        requireGroups(inChannels, outChannels, groups);
        return outChannels * outHeight * outWidth * (inChannels / groups) * kh * kw;
    }

    /** Weights (plus bias) of a fully connected layer. */
    public static long linearParams(long in, long out, boolean bias) {
        return in * out + (bias ? out : 0);
    }

    /** MACs of a fully connected layer per sample: in * out. */
    public static long linearMacs(long in, long out) {
        return in * out;
    }

    private static void requireGroups(long in, long out, long groups) {
        if (groups < 1 || in % groups != 0 || out % groups != 0) {
            throw new IllegalArgumentException("conv arithmetic: channels " + in + " -> " + out
                    + " are not divisible by groups=" + groups);
        }
    }
}
