package io.convzoo.zoo.arch;

import io.convzoo.blocks.Checks;
import io.convzoo.blocks.NamedSequential;
import io.convzoo.blocks.Ops;
import java.util.List;

/**
 * A network that is one named sequence of the official top-level modules (DLA, Oct-MobileNet, HetConv's VGG): it checks
 * its one (N, C, H, W) input once, naming the model, then runs its children.
 */
public abstract class CheckedNetwork extends NamedSequential {

    private final String name;
    private final int inputChannels;

    protected CheckedNetwork(String name, int inputChannels) {
        this.name = name;
        this.inputChannels = inputChannels;
    }

    /** Input channels the network expects. */
    public int getInputChannels() {
        return inputChannels;
    }

    @Override
    public <T> List<T> forward(Ops<T> ops, List<T> inputs) {
        Checks.requireOneNchw(ops, inputs, name, inputChannels);
        return super.forward(ops, inputs);
    }

    @Override
    public String toString() {
        return name;
    }
}
