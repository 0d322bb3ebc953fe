package io.convzoo.blocks.layers;

import ai.djl.nn.Block;
import io.convzoo.blocks.Checks;
import io.convzoo.blocks.ConvMath;
import io.convzoo.blocks.DataflowBlock;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.Ops;

/**
 * Squeeze-and-excitation: global mean, a 1×1 conv with bias to fewer channels, an activation, a 1×1 conv with
 * bias back to C, a sigmoid gate that scales the input. Two official forms, by their state_dict names:
 * timm's {@code SEModule} (ResNet/Res2Net blocks, {@code attn_layer='se'}): {@code fc1}, ReLU, {@code fc2},
 * reduced by {@link #reducedChannels(int)}; and timm's EfficientNet {@code SqueezeExcite}
 * ({@link #efficientNet}): {@code conv_reduce}, SiLU, {@code conv_expand}, reduced as the block says.
 */
public final class SqueezeExcite extends DataflowBlock {

    private static final String NAME = "SqueezeExcite";

    private final int channels;
    private final boolean silu;
    private final Block reduce;
    private final Block expand;

    /** SE over {@code channels} channels with timm's default reduction (ratio 1/16, divisor 8). */
    public SqueezeExcite(int channels) {
        this(channels, reducedChannels(channels), "fc1", "fc2", false);
    }

    private SqueezeExcite(int channels, int reduced, String reduceName, String expandName, boolean silu) {
        Checks.require(channels >= 1 && reduced >= 1, NAME, "channels must be >= 1, got " + channels + " -> " + reduced);
        this.channels = channels;
        this.silu = silu;
        reduce = addChildBlock(reduceName, Layers.conv(reduced, 1, 1, 0, 1, 1, true));
        expand = addChildBlock(expandName, Layers.conv(channels, 1, 1, 0, 1, 1, true));
    }

    /** timm's EfficientNet SE over {@code channels}, reduced to {@code reduced}, with SiLU (the blocks' activation). */
    public static SqueezeExcite efficientNet(int channels, int reduced) {
        return new SqueezeExcite(channels, reduced, "conv_reduce", "conv_expand", true);
    }

    /**
     * timm's {@code make_divisible(channels / 16, 8, round_limit=0)}: the nearest multiple of 8,
     * at least 8.
     */
    public static int reducedChannels(int channels) {
        return ConvMath.makeDivisible(channels / 16.0, 8, 0);
    }

    /** The gate reads x through its spatial mean (which does not consume it); the product then may overwrite it. */
    @Override
    protected <T> T forward(Ops<T> ops, T x) {
        ops.require(x, s -> Checks.requireNchw(NAME, s, channels));
        T reduced = ops.child(reduce, ops.spatialMean(x));
        T gate = ops.sigmoid(ops.child(expand, silu ? ops.silu(reduced) : ops.relu(reduced)));
        return ops.mul(x, gate);
    }
}
