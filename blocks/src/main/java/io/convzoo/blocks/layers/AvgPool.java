package io.convzoo.blocks.layers;

import io.convzoo.blocks.Checks;
import io.convzoo.blocks.ConvMath;
import io.convzoo.blocks.DataflowBlock;
import io.convzoo.blocks.Ops;

/**
 * Square 2-D average pooling with PyTorch's {@code nn.AvgPool2d} semantics (ceil mode and
 * count_include_pad), as a parameter-free block whose output shape is computed in closed form.
 */
public final class AvgPool extends DataflowBlock {

    private static final String NAME = "AvgPool";

    private final int kernel;
    private final int stride;
    private final int padding;
    private final boolean ceilMode;
    private final boolean countIncludePad;

    /** A {@code kernel}×{@code kernel} average pool; arguments as in {@code nn.AvgPool2d}. */
    public AvgPool(int kernel, int stride, int padding, boolean ceilMode, boolean countIncludePad) {
        Checks.require(kernel >= 1 && stride >= 1 && padding >= 0 && 2 * padding <= kernel, NAME,
                "needs kernel >= 1, stride >= 1 and 0 <= padding <= kernel/2, got kernel=" + kernel
                        + " stride=" + stride + " padding=" + padding);
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.ceilMode = ceilMode;
        this.countIncludePad = countIncludePad;
    }

    /** Output length along one axis (PyTorch's rule, {@link ConvMath#poolOutputSize}). */
    public long outputSize(long input) {
        return ConvMath.poolOutputSize(input, kernel, stride, padding, ceilMode);
    }

    @Override
    protected <T> T forward(Ops<T> ops, T x) {
        ops.require(x, s -> {
            Checks.requireNchw(NAME, s, 0);
            Checks.require(Math.min(s.get(2), s.get(3)) + 2L * padding >= kernel, NAME, "a " + kernel + "×" + kernel
                    + " window (padding " + padding + ") needs an input of at least that size, got " + s.get(2) + "×"
                    + s.get(3));
        });
        return ops.avgPool2d(x, kernel, stride, padding, ceilMode, countIncludePad);
    }

    @Override
    public String toString() {
        return "AvgPool(kernel=" + kernel + ", stride=" + stride + ", padding=" + padding
                + ", ceilMode=" + ceilMode + ", countIncludePad=" + countIncludePad + ")";
    }
}
