package io.convzoo.blocks;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;

/**
 * Factories for the engine layers every family is built from, with PyTorch's defaults (BatchNorm
 * eps 1e-5 and momentum 0.1, i.e. DJL momentum 0.9) so that official checkpoints map one to one.
 */
public final class Layers {

    private Layers() {}

    /** A square conv with padding, dilation and groups; bias off as in the official ResNets. */
    public static Conv2d conv(int outChannels, int kernel, int stride, int padding, int dilation,
                              int groups, boolean bias) {
        return Conv2d.builder()
                .setFilters(outChannels)
                .setKernelShape(new Shape(kernel, kernel))
                .optStride(new Shape(stride, stride))
                .optPadding(new Shape(padding, padding))
                .optDilation(new Shape(dilation, dilation))
                .optGroups(groups)
                .optBias(bias)
                .build();
    }

    /** 3×3 conv, padding 1, no bias. */
    public static Conv2d conv3x3(int outChannels, int stride, int groups) {
        return conv(outChannels, 3, stride, 1, 1, groups, false);
    }

    /** 1×1 conv, no bias. */
    public static Conv2d conv1x1(int outChannels, int stride) {
        return conv(outChannels, 1, stride, 0, 1, 1, false);
    }

    /** BatchNorm over channels with PyTorch's eps and momentum. */
    public static BatchNorm batchNorm() {
        return BatchNorm.builder().optEpsilon(1e-5f).optMomentum(0.9f).build();
    }

    /** BatchNorm whose gamma starts at zero ("zero-init last BN" of a residual branch). */
    public static BatchNorm zeroGammaBatchNorm() {
        BatchNorm bn = batchNorm();
        bn.getParameters().get("gamma").setInitializer(new ai.djl.training.initializer.ConstantInitializer(0f));
        return bn;
    }

    /** ReLU as a block whose shape inference allocates nothing (DJL's LambdaBlock runs the op on zeros). */
    public static Block relu() {
        return new ReluBlock();
    }

    /** SiLU (swish) as a block, like {@link #relu()}. */
    public static Block silu() {
        return new SiluBlock();
    }

    /**
     * Counts the learnable parameters of an initialized block, as PyTorch does: BatchNorm running
     * statistics are buffers there, so they are not counted.
     */
    public static long countParameters(Block block) {
        long total = 0;
        for (Parameter p : block.getParameters().values()) {
            if (isRunningStatistic(p)) {
                continue;
            }
            total += p.getArray().size();
        }
        return total;
    }

    /** A BatchNorm's epsilon (DJL keeps it private), or null where it cannot be read. */
    public static Float epsilon(BatchNorm bn) {
        Object v = batchNormField(bn, "epsilon");
        return v instanceof Float f ? f : null;
    }

    /** Whether a BatchNorm normalizes axis 1 with both gamma and beta (the layout the folding handles). */
    public static boolean isPlainChannelNorm(BatchNorm bn) {
        return Integer.valueOf(1).equals(batchNormField(bn, "axis")) && Boolean.TRUE.equals(batchNormField(bn, "center"))
                && Boolean.TRUE.equals(batchNormField(bn, "scale"));
    }

    private static Object batchNormField(BatchNorm bn, String name) {
        try {
            java.lang.reflect.Field f = BatchNorm.class.getDeclaredField(name);
            f.setAccessible(true);
            return f.get(bn);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /** True for BatchNorm's running mean and variance. */
    public static boolean isRunningStatistic(Parameter p) {
        return p.getType() == Parameter.Type.RUNNING_MEAN || p.getType() == Parameter.Type.RUNNING_VAR;
    }
}
