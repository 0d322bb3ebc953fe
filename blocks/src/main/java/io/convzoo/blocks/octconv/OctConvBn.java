package io.convzoo.blocks.octconv;

import ai.djl.nn.Block;
import ai.djl.nn.norm.BatchNorm;
import io.convzoo.blocks.DataflowBlock;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.Ops;
import java.util.List;

/**
 * An {@link OctConv} followed by one BatchNorm per frequency, the official {@code Conv_BN}:
 * children {@code conv}, {@code bn_h} and, when the conv has a low-frequency output, {@code bn_l}.
 * Reads and returns arrays with the same (high[, low]) convention as {@link OctConv}. The inference
 * preparation folds each frequency's BatchNorm into every path summed into it.
 */
public class OctConvBn extends DataflowBlock {

    private final OctConv conv;
    private final List<BatchNorm> norms;

    /**
     * @param conv the octave convolution
     * @param zeroGamma start both BatchNorms at gamma = 0 (zero-init of a residual branch's last BN)
     */
    public OctConvBn(OctConv conv, boolean zeroGamma) {
        this.conv = conv;
        BatchNorm bnH = zeroGamma ? Layers.zeroGammaBatchNorm() : Layers.batchNorm();
        BatchNorm bnL = conv.hasLowOut() ? (zeroGamma ? Layers.zeroGammaBatchNorm() : Layers.batchNorm()) : null;
        addChildBlock("conv", conv);
        addChildBlock("bn_h", bnH);
        if (bnL != null) {
            addChildBlock("bn_l", bnL);
        }
        norms = bnL == null ? List.of(bnH) : List.of(bnH, bnL);
    }

    /** An OctConvBn with BatchNorms starting at gamma = 1. */
    public OctConvBn(OctConv conv) {
        this(conv, false);
    }

    /** The octave convolution. */
    public OctConv getConv() {
        return conv;
    }

    /** The activation applied to each frequency after its BatchNorm, or null (none here). */
    protected Block activation() {
        return null;
    }

    @Override
    public <T> List<T> forward(Ops<T> ops, List<T> inputs) {
        List<T> y = ops.convBn(conv, norms, inputs);
        Block act = activation();
        return act == null ? y : ops.child(act, y);
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + conv + "]";
    }
}
