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
    private final boolean flattened;

    /** Pools to {@code outH × outW}. */
    public AdaptiveAvgPool2d(int outH, int outW) {
        this(outH, outW, false);
    }

    private AdaptiveAvgPool2d(int outH, int outW, boolean flattened) {
        Checks.require(outH >= 1 && outW >= 1, NAME, "output size must be >= 1, got " + outH + "x" + outW);
        this.outH = outH;
        this.outW = outW;
        this.flattened = flattened;
    }

    /**
     * Pools to {@code outH × outW}, then flattens to (N, C·outH·outW): a classifier head's {@code avgpool} with
     * the {@code torch.flatten(x, 1)} of the official forward (as {@link GlobalAvgPool} for 1×1).
     */
    public static AdaptiveAvgPool2d flattened(int outH, int outW) {
        return new AdaptiveAvgPool2d(outH, outW, true);
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
        T pooled = ops.adaptiveAvgPool2d(x, outH, outW);
        return flattened ? ops.flatten(pooled, 1) : pooled;
    }

    @Override
    public String toString() {
        return NAME + "(" + outH + "x" + outW + (flattened ? ", flattened)" : ")");
    }
}
