package io.convzoo.blocks.conv;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import io.convzoo.blocks.ForwardArrays;

/**
 * A grouped conv computed as one dense conv whose kernel is block-diagonal: the grouped weight
 * {@code (out, in/g, kh, kw)} is spread into {@code (out, in, kh, kw)} with zeros between groups.
 * The result is the grouped conv's (the zeros add nothing) and gradients reach only the grouped
 * weight, so parameters, names and counts do not change.
 *
 * <p>Why: libtorch's CPU kernels for grouped convs with few channels per group are several times
 * slower per MAC than its dense kernels. Measured here (libtorch 2.7.1, one thread, see
 * docs/benchmarks.md): with 4–8 input channels per group the dense form of PyConv's 5×5–9×9 levels
 * mostly took 0.4–0.8× the time of the grouped op (training and inference); with 16 or more
 * channels per group, or 3×3 kernels, it took 1.4–4× longer. {@link #prefersDense} encodes that rule; GPUs keep the grouped op.
 */
public final class BlockDiagonalConv {

    /** Most input channels per group for which the dense form is faster. */
    static final long MAX_CHANNELS_PER_GROUP = 8;
    /** Most groups: the dense form costs {@code groups}× the MACs (depthwise convs stay grouped). */
    static final int MAX_GROUPS = 16;

    private BlockDiagonalConv() {}

    /** Smallest kernel side: libtorch's grouped 3×3 kernels beat the dense form (1.6–3.8× in the same runs). */
    static final long MIN_KERNEL = 5;

    /**
     * Whether a conv with {@code inChannels}, {@code groups} and a {@code kernelHeight} × {@code kernelWidth}
     * kernel runs faster as a dense conv on {@code device}.
     */
    public static boolean prefersDense(Device device, long inChannels, int groups, long kernelHeight,
                                       long kernelWidth) {
        return groups > 1 && groups <= MAX_GROUPS && inChannels / groups <= MAX_CHANNELS_PER_GROUP
                && kernelHeight * kernelWidth >= MIN_KERNEL * MIN_KERNEL
                && Device.Type.CPU.equals(device.getDeviceType());
    }

    /** The dense {@code (out, in, kh, kw)} kernel equal to grouped {@code weight} {@code (out, in/g, kh, kw)}. */
    public static NDArray expand(NDArray weight, int groups) {
        Shape s = weight.getShape();
        long out = s.get(0);
        long inPerGroup = s.get(1);
        // (g, out/g, 1, in/g, kh, kw) × eye(g) as (g, 1, g, 1, 1, 1): group j's block sits at column block j.
        NDArray diagonal = weight.getManager().eye(groups).toType(weight.getDataType(), false)
                .reshape(groups, 1, groups, 1, 1, 1);
        return weight.reshape(groups, out / groups, 1, inPerGroup, s.get(2), s.get(3)).mul(diagonal)
                .reshape(out, inPerGroup * groups, s.get(2), s.get(3));
    }

    /** The grouped conv of {@code x}, in whichever form {@link #prefersDense} picks for its device. */
    public static NDArray conv2d(NDArray x, NDArray weight, NDArray bias, Shape stride, Shape padding,
                                 Shape dilation, int groups) {
        Shape kernel = weight.getShape();
        if (prefersDense(x.getDevice(), x.getShape().get(1), groups, kernel.get(2), kernel.get(3))) {
            NDArray dense = ForwardArrays.derive(x, () -> expand(weight, groups));
            return Conv2d.conv2d(x, dense, bias, stride, padding, dilation, 1).head();
        }
        return Conv2d.conv2d(x, weight, bias, stride, padding, dilation, groups).head();
    }
}
