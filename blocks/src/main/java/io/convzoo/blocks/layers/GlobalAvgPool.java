package io.convzoo.blocks.layers;

import io.convzoo.blocks.Checks;
import io.convzoo.blocks.DataflowBlock;
import io.convzoo.blocks.Ops;

/** Global average pooling of (N, C, H, W) to (N, C): a classifier head's {@code avgpool} + flatten. */
public final class GlobalAvgPool extends DataflowBlock {

    /** DJL's LambdaBlock encoding version: parameter files written when this was a lambda still load. */
    private static final byte VERSION = 2;

    public GlobalAvgPool() {
        super(VERSION);
    }

    @Override
    protected <T> T forward(Ops<T> ops, T x) {
        ops.require(x, s -> Checks.requireNchw("GlobalAvgPool", s, 0));
        return ops.globalAvgPool(x);
    }

    @Override
    public String toString() {
        return "globalAvgPool";
    }
}
