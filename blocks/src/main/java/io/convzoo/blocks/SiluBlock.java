package io.convzoo.blocks;

/**
 * SiLU (swish) of its one input as a block, where the official network has an activation module between
 * children of a sequence (timm's {@code BatchNormAct2d} after EfficientNet's stem and head). {@link Layers#silu()}
 * returns it.
 */
public final class SiluBlock extends DataflowBlock {

    @Override
    protected <T> T forward(Ops<T> ops, T x) {
        return ops.silu(x);
    }

    @Override
    public String toString() {
        return "SiLU()";
    }
}
