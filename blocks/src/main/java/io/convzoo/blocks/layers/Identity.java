package io.convzoo.blocks.layers;

import io.convzoo.blocks.DataflowBlock;
import io.convzoo.blocks.Ops;
import java.util.List;

/** The identity: its inputs as its outputs ({@code nn.Identity}). */
public final class Identity extends DataflowBlock {

    /** DJL's LambdaBlock encoding version: parameter files written when this was a lambda still load. */
    private static final byte VERSION = 2;

    public Identity() {
        super(VERSION);
    }

    @Override
    public <T> List<T> forward(Ops<T> ops, List<T> inputs) {
        return inputs;
    }

    @Override
    public String toString() {
        return "identity";
    }
}
