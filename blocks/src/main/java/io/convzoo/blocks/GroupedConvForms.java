package io.convzoo.blocks;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;

/**
 * A grouped conv {@code (out, in/g, kh, kw)} computed in whichever of three equal forms is fastest on
 * the device. Each gives the grouped conv's result, and gradients reach only the grouped weight, so
 * parameters, names and counts do not change.
 * <ul>
 *   <li>{@link Form#GROUPED}: the engine's grouped op.</li>
 *   <li>{@link Form#BLOCK_DIAGONAL}: ONE dense conv whose kernel holds each group's weights on the
 *       block diagonal and zeros elsewhere ({@link #expand}).</li>
 *   <li>{@link Form#DEPTHWISE_PER_OUTPUT}: for each of a group's {@code out/g} outputs, ONE depthwise
 *       conv of all input channels with that output's kernels ({@link #depthwiseKernel}), then a sum
 *       over each group's {@code in/g} channels: the grouped op's MACs, on the engine's depthwise
 *       kernel.</li>
 * </ul>
 *
 * <p>Rule ({@link #formFor}): on CPU, a grouped conv with 5×5 or larger kernels and more than one input
 * per group runs, in inference, depthwise per output when a group has 1–2 outputs; otherwise (and in
 * training steps, where the depthwise backward is slow) block-diagonal with at most 16 groups of at
 * most 8 inputs; else the grouped op. GPUs keep the grouped op. libtorch's CPU kernels for grouped convs
 * with few channels per group are several times slower per MAC than its dense and depthwise ones; the
 * measurements behind each bound are in docs/benchmarks.md ("grouped-conv forms").
 */
public final class GroupedConvForms {

    /** How a grouped conv is computed. */
    public enum Form { GROUPED, BLOCK_DIAGONAL, DEPTHWISE_PER_OUTPUT }

    /** Most input channels per group for which the block-diagonal form is faster. */
    static final long MAX_CHANNELS_PER_GROUP = 8;
    /** Most groups for the block-diagonal form: it costs {@code groups}× the MACs. */
    static final int MAX_GROUPS = 16;
    /** Most outputs per group for the depthwise form: it runs one depthwise conv per output of a group. */
    static final long MAX_DEPTHWISE_OUTPUTS_PER_GROUP = 2;
    /** Smallest kernel side: libtorch's grouped 3×3 kernels are as fast as or faster than the other forms. */
    static final long MIN_KERNEL = 5;

    private GroupedConvForms() {}

    /**
     * The fastest form of a conv with these channels, groups and kernel on {@code device}, in a
     * training step (forward and backward) or in inference.
     */
    public static Form formFor(Device device, long inChannels, long outChannels, int groups, long kernelHeight,
                               long kernelWidth, boolean training) {
        long inPerGroup = inChannels / groups;
        if (groups == 1 || inPerGroup == 1 || kernelHeight * kernelWidth < MIN_KERNEL * MIN_KERNEL
                || !Device.Type.CPU.equals(device.getDeviceType())) {
            return Form.GROUPED;
        }
        // The depthwise backward is slow: training steps never take the depthwise form.
        if (!training && outChannels / groups <= MAX_DEPTHWISE_OUTPUTS_PER_GROUP) {
            return Form.DEPTHWISE_PER_OUTPUT;
        }
        return groups <= MAX_GROUPS && inPerGroup <= MAX_CHANNELS_PER_GROUP ? Form.BLOCK_DIAGONAL : Form.GROUPED;
    }

    /** {@link #formFor} of a grouped weight {@code (out, in/g, kh, kw)}. */
    public static Form formFor(Device device, Shape weight, int groups, boolean training) {
        return formFor(device, weight.get(1) * groups, weight.get(0), groups, weight.get(2), weight.get(3), training);
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

    /**
     * The depthwise kernel {@code (in, 1, kh, kw)} of output {@code j} of every group: input channel
     * {@code c} gets the kernel that output {@code j} of its group applies to it.
     */
    public static NDArray depthwiseKernel(NDArray weight, int groups, int j) {
        Shape s = weight.getShape();
        long outPerGroup = s.get(0) / groups;
        NDArray ofOutput = outPerGroup == 1 ? weight
                : weight.reshape(groups, outPerGroup, s.get(1), s.get(2), s.get(3)).get(":, " + j);
        return ofOutput.reshape(s.get(1) * groups, 1, s.get(2), s.get(3));
    }

    /** The grouped conv of {@code x}, in the form {@link #formFor} picks for its device. */
    public static NDArray conv2d(NDArray x, NDArray weight, NDArray bias, Shape stride, Shape padding,
                                 Shape dilation, int groups, boolean training) {
        return conv2d(formFor(x.getDevice(), weight.getShape(), groups, training), x, weight, bias, stride, padding,
                dilation, groups);
    }

    /** The grouped conv of {@code x} in the given {@code form} (the benchmark times each). */
    public static NDArray conv2d(Form form, NDArray x, NDArray weight, NDArray bias, Shape stride, Shape padding,
                                 Shape dilation, int groups) {
        switch (form) {
            case BLOCK_DIAGONAL:
                NDArray dense = ForwardArrays.derive(x, () -> expand(weight, groups));
                return Conv2d.conv2d(x, dense, bias, stride, padding, dilation, 1).head();
            case DEPTHWISE_PER_OUTPUT:
                return depthwisePerOutput(x, weight, bias, stride, padding, dilation, groups);
            default:
                return Conv2d.conv2d(x, weight, bias, stride, padding, dilation, groups).head();
        }
    }

    private static NDArray depthwisePerOutput(NDArray x, NDArray weight, NDArray bias, Shape stride, Shape padding,
                                              Shape dilation, int groups) {
        Shape w = weight.getShape();
        int outPerGroup = (int) (w.get(0) / groups);
        NDList perOutput = new NDList(outPerGroup);
        for (int j = 0; j < outPerGroup; j++) {
            int output = j;
            // Made in x's scope, not attached to the weight's (the model's) manager.
            NDArray kernel = ForwardArrays.derive(x, () -> depthwiseKernel(weight, groups, output));
            NDArray y = Conv2d.conv2d(x, kernel, null, stride, padding, dilation, (int) (w.get(1) * groups)).head();
            Shape s = y.getShape();
            perOutput.add(y.reshape(s.get(0), groups, w.get(1), s.get(2), s.get(3)).sum(new int[] {2}));
        }
        NDArray y = perOutput.head();
        if (outPerGroup > 1) {
            // (N, g, out/g, H, W): output j of group i is channel i * out/g + j, as in the grouped op.
            Shape s = y.getShape();
            y = NDArrays.stack(perOutput, 2).reshape(s.get(0), w.get(0), s.get(2), s.get(3));
        }
        // The sum is a fresh array: the bias goes in in place (sum's backward does not read its output).
        return bias == null ? y : y.addi(bias.reshape(w.get(0), 1, 1));
    }
}
