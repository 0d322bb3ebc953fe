package io.convzoo.zoo.arch;

import io.convzoo.blocks.Checks;
import io.convzoo.blocks.NamedSequential;
import io.convzoo.blocks.Ops;
import java.util.List;

/**
 * A network that is one named sequence of the official top-level modules (DLA, Oct-MobileNet, the VGGs): it checks
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
        checkInput(ops, inputs.get(0));
        return super.forward(ops, inputs);
    }

    /** A network's further condition on its (N, C, H, W) input (e.g. a least size), checked before its children run. */
    protected <T> void checkInput(Ops<T> ops, T input) {
    }

    @Override
    public String toString() {
        return name;
    }
}
