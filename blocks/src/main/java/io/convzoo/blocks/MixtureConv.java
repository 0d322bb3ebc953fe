package io.convzoo.blocks;

import ai.djl.Device;
import ai.djl.ndarray.types.Shape;

/**
 * The configuration of a mixture-of-kernels conv ({@link Ops#mixtureConv}) and the one place that
 * decides how a batch of it is computed: a batch of one is a plain conv; a larger batch of a 1×1
 * unpadded ungrouped conv is ONE batched matmul; in CPU inference a kernel set of at least
 * {@link #SAMPLE_BY_SAMPLE_MIN_KERNEL} elements convolves sample by sample; anything else is ONE grouped
 * conv with the batch folded into the channels. The measurements behind each rule are in
 * docs/benchmarks.md ("dynamic conv batched forms").
 *
 * @param inChannels input channels
 * @param outChannels output channels
 * @param kernelSize square kernel side
 * @param stride stride
 * @param padding zero padding
 * @param dilation dilation
 * @param groups groups of each sample's conv
 * @param kernels K, kernels in the bank
 */
public record MixtureConv(int inChannels, int outChannels, int kernelSize, int stride, int padding, int dilation,
                          int groups, int kernels) {

    /** Kernel elements per sample (out · in/g · k · k) from which a CPU inference batch convolves sample by sample. */
    public static final long SAMPLE_BY_SAMPLE_MIN_KERNEL = 256L * 256 * 9;

    /** How a batch of more than one sample is computed. */
    public enum BatchForm { BATCHED_MATMUL, SAMPLE_BY_SAMPLE, BATCH_AS_GROUPS }

    /** The form for a batch of more than one sample on {@code device}. */
    public BatchForm batchForm(Device device, boolean training) {
        if (kernelSize == 1 && padding == 0 && groups == 1) {
            return BatchForm.BATCHED_MATMUL;
        }
        if (!training && kernelElements() >= SAMPLE_BY_SAMPLE_MIN_KERNEL
                && Device.Type.CPU.equals(device.getDeviceType())) {
            return BatchForm.SAMPLE_BY_SAMPLE;
        }
        return BatchForm.BATCH_AS_GROUPS;
    }

    /** The geometry of one sample's conv. */
    public ConvGeometry geometry() {
        return new ConvGeometry(stride, padding, dilation, groups);
    }

    /** Output length along one axis. */
    public long outputLength(long input) {
        return ConvMath.outputSize(input, kernelSize, stride, padding, dilation);
    }

    /** Elements of one kernel set: out · in/g · k · k. */
    public long kernelElements() {
        return (long) outChannels * (inChannels / groups) * kernelSize * kernelSize;
    }

    /**
     * Checks that {@code x} is (N, C=inChannels, H, W) with H and W large enough for the kernel; the message
     * names {@code block}.
     */
    public void requireInput(String block, Shape x) {
        Checks.requireNchw(block, x, inChannels);
        for (int axis = 2; axis < 4; axis++) {
            try {
                outputLength(x.get(axis));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(block + ": expected an input of shape (N, C=" + inChannels
                        + ", H, W) with H, W large enough for the kernel; " + e.getMessage(), e);
            }
        }
    }

    /** MACs of the mixed conv for the whole batch of {@code x}: N × out × OH × OW × (in/groups) × k × k. */
    public long convMacs(Shape x) {
        return x.get(0) * ConvMath.convMacs(inChannels, outChannels, kernelSize, kernelSize, groups,
                outputLength(x.get(2)), outputLength(x.get(3)));
    }

    /** Kernel mixing for a batch: N × K × (elements of one kernel set, plus its bias when there is one). */
    public long mixingMacs(long batch, boolean bias) {
        return batch * kernels * (kernelElements() + (bias ? outChannels : 0));
    }
}
