package io.convzoo.blocks.layers;

import ai.djl.nn.Block;
import io.convzoo.blocks.Checks;
import io.convzoo.blocks.DataflowBlock;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.Ops;

/**
 * Squeeze-and-excitation as timm's {@code SEModule} (the attention timm's ResNet/Res2Net blocks
 * create for {@code attn_layer='se'}): global mean, 1×1 conv {@code fc1} with bias to
 * {@link #reducedChannels(int)} channels, ReLU, 1×1 conv {@code fc2} with bias back to C, sigmoid
 * gate that scales the input. Child names match timm's state_dict keys ({@code se.fc1.weight}, …).
 */
public final class SqueezeExcite extends DataflowBlock {

    private static final String NAME = "SqueezeExcite";

    private final int channels;
    private final Block fc1;
    private final Block fc2;

    /** SE over {@code channels} channels with timm's default reduction (ratio 1/16, divisor 8). */
    public SqueezeExcite(int channels) {
        Checks.require(channels >= 1, NAME, "channels must be >= 1, got " + channels);
        this.channels = channels;
        int reduced = reducedChannels(channels);
        fc1 = addChildBlock("fc1", Layers.conv(reduced, 1, 1, 0, 1, 1, true));
        fc2 = addChildBlock("fc2", Layers.conv(channels, 1, 1, 0, 1, 1, true));
    }

    /**
     * timm's {@code make_divisible(channels / 16, 8, round_limit=0)}: the nearest multiple of 8,
     * at least 8.
     */
    public static int reducedChannels(int channels) {
        double v = channels / 16.0;
        return Math.max(8, (int) (v + 4) / 8 * 8);
    }

    /** The gate reads x through its spatial mean (which does not consume it); the product then may overwrite it. */
    @Override
    protected <T> T forward(Ops<T> ops, T x) {
        ops.require(x, s -> Checks.requireNchw(NAME, s, channels));
        T hidden = ops.relu(ops.child(fc1, ops.spatialMean(x)));
        T gate = ops.sigmoid(ops.child(fc2, hidden));
        return ops.mul(x, gate);
    }
}
