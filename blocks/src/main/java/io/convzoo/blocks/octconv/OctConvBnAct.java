package io.convzoo.blocks.octconv;

import ai.djl.nn.Block;
import io.convzoo.blocks.ReluBlock;

/**
 * {@link OctConvBn} plus ReLU ({@link ReluBlock}) on each frequency, the official {@code Conv_BN_ACT}: children
 * {@code conv}, {@code bn_h}, {@code bn_l} (when there is a low output) and {@code act}.
 */
public class OctConvBnAct extends OctConvBn {

    private final Block act;

    /** Conv, BatchNorms (gamma starting at 1) and ReLU. */
    public OctConvBnAct(OctConv conv) {
        super(conv, false);
        this.act = new ReluBlock();
        addChildBlock("act", act);
    }

    @Override
    protected Block activation() {
        return act;
    }
}
