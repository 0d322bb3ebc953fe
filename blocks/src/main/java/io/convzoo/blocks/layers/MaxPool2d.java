package io.convzoo.blocks.layers;

import io.convzoo.blocks.Checks;
import io.convzoo.blocks.DataflowBlock;
import io.convzoo.blocks.Ops;

/** Square 2-D max pooling, PyTorch's {@code nn.MaxPool2d(kernel, stride, padding)}. */
public final class MaxPool2d extends DataflowBlock {

    /** DJL's LambdaBlock encoding version: parameter files written when this was a lambda still load. */
    private static final byte VERSION = 2;

    private final int kernel;
    private final int stride;
    private final int padding;

    public MaxPool2d(int kernel, int stride, int padding) {
        super(VERSION);
        Checks.require(kernel >= 1 && stride >= 1 && padding >= 0 && 2 * padding <= kernel, "MaxPool2d",
                "needs kernel >= 1, stride >= 1 and 0 <= padding <= kernel/2, got kernel=" + kernel + " stride=" + stride
                        + " padding=" + padding);
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
    }

    @Override
    protected <T> T forward(Ops<T> ops, T x) {
        ops.require(x, s -> Checks.requireNchw("MaxPool2d", s, 0));
        return ops.maxPool2d(x, kernel, stride, padding);
    }

    /** The summary reads the window from the name (receptive field). */
    @Override
    public String toString() {
        return "maxPool2d(k=" + kernel + ",s=" + stride + ",p=" + padding + ")";
    }
}
