package io.convzoo.blocks.layers;

import io.convzoo.blocks.Checks;
import io.convzoo.blocks.DataflowBlock;
import io.convzoo.blocks.Ops;
import io.convzoo.blocks.Resampling;

/**
 * Adaptive average pooling of an NCHW array to a fixed {@code outH × outW}, with PyTorch's bins
 * ({@link Resampling#adaptiveAvgPool}).
 */
public class AdaptiveAvgPool2d extends DataflowBlock {

    static final String NAME = "AdaptiveAvgPool2d";

    private final int outH;
    private final int outW;

    /** Pools to {@code outH × outW}. */
    public AdaptiveAvgPool2d(int outH, int outW) {
        Checks.require(outH >= 1 && outW >= 1, NAME, "output size must be >= 1, got " + outH + "x" + outW);
        this.outH = outH;
        this.outW = outW;
    }

    /** Output height. */
    public int getOutH() {
        return outH;
    }

    /** Output width. */
    public int getOutW() {
        return outW;
    }

    @Override
    protected <T> T forward(Ops<T> ops, T x) {
        ops.require(x, s -> Checks.requireNchw(NAME, s, -1));
        return ops.adaptiveAvgPool2d(x, outH, outW);
    }

    @Override
    public String toString() {
        return NAME + "(" + outH + "x" + outW + ")";
    }
}
