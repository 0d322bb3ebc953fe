package io.convzoo.blocks.layers;

import io.convzoo.blocks.Checks;
import io.convzoo.blocks.DataflowBlock;
import io.convzoo.blocks.Ops;

/**
 * PyTorch's {@code nn.Dropout2d}: in a training forward each (sample, channel) map is zeroed with
 * probability {@code rate} and the rest scaled by 1 / (1 − rate); in eval the identity. No parameters.
 */
public final class Dropout2d extends DataflowBlock {

    private final float rate;

    /** Drops whole channels with probability {@code rate} in [0, 1). */
    public Dropout2d(float rate) {
        Checks.require(rate >= 0f && rate < 1f, "Dropout2d", "rate must lie in [0, 1), got " + rate);
        this.rate = rate;
    }

    /** The drop probability. */
    public float getRate() {
        return rate;
    }

    @Override
    protected <T> T forward(Ops<T> ops, T x) {
        return ops.training() && rate > 0f ? ops.dropChannels(x, rate) : x;
    }

    @Override
    public String toString() {
        return "Dropout2d(p=" + rate + ")";
    }
}
