package io.convzoo.zoo.arch.dla;

import ai.djl.nn.Block;
import io.convzoo.blocks.Checks;
import io.convzoo.blocks.DataflowBlock;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.Ops;
import java.util.List;

/**
 * A DLA tree's aggregation node ({@code Root} of {@code dla.py}, root kernel 1, no root residual as in
 * every official model): {@code relu(bn(conv1x1(cat(inputs))))}. Children: conv, bn.
 */
final class DlaRoot extends DataflowBlock {

    private static final String NAME = "DLA Root";

    private final int inChannels;
    private final Block conv;
    private final Block bn;

    DlaRoot(int inChannels, int outChannels) {
        this.inChannels = inChannels;
        conv = addChildBlock("conv", Layers.conv1x1(outChannels, 1));
        bn = addChildBlock("bn", Layers.batchNorm());
    }

    @Override
    public <T> List<T> forward(Ops<T> ops, List<T> inputs) {
        T x = ops.cat(inputs, 1);
        ops.require(x, s -> Checks.requireNchw(NAME, s, inChannels));
        return List.of(ops.relu(ops.convBn(conv, bn, x)));
    }

    @Override
    public String toString() {
        return NAME + "(in=" + inChannels + ")";
    }
}
