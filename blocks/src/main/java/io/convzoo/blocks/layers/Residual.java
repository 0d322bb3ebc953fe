package io.convzoo.blocks.layers;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import io.convzoo.blocks.Checks;
import io.convzoo.blocks.DataflowBlock;
import io.convzoo.blocks.Ops;
import java.util.ArrayList;
import java.util.List;

/**
 * A residual block, {@code relu(branch(x) + shortcut(x))} per value (one array, or an octave (high,
 * low) pair), written once for every family: a family's block states only its branch; the shortcut is
 * its {@code downsample} child ({@link #setShortcut}) or the identity. Inverted residuals (EfficientNet)
 * end in the plain sum ({@link #setLinearSum}), or in the branch alone where they change the shape
 * ({@link #setNoShortcut}).
 */
public abstract class Residual extends DataflowBlock {

    private final String name;
    private final long inChannels;
    private Block shortcut;
    private Block activation;
    private boolean shortcutGiven;
    private boolean linearSum;
    private boolean noShortcut;

    /**
     * @param name the block's name in error messages
     * @param inChannels the channels of its one input, checked; 0 for a block that checks its inputs
     *                   itself ({@link #checkInputs})
     */
    protected Residual(String name, long inChannels) {
        this.name = name;
        this.inChannels = inChannels;
    }

    /** The residual branch of {@code inputs}; it must not overwrite them (they are shared with the shortcut). */
    protected abstract <T> List<T> branch(Ops<T> ops, List<T> inputs);

    /** Checks the inputs before anything runs: by default one (N, C, H, W) array of the channels given. */
    protected <T> void checkInputs(Ops<T> ops, List<T> inputs) {
        Checks.requireOneNchw(ops, inputs, name, inChannels);
    }

    /** Projects the shortcut through {@code downsample} (a child), instead of the identity. */
    protected final void setShortcut(Block downsample) {
        this.shortcut = downsample;
    }

    /**
     * Takes the shortcut from the caller, as an optional second input {@code (x, residual)} (DLA's trees
     * compute it; without it the residual is {@code x}), instead of computing it from {@code x}.
     */
    protected final void setShortcutGiven() {
        this.shortcutGiven = true;
    }

    /**
     * Applies the block's own ReLU child to the sums (where the official module has one that the block's
     * structure keeps) instead of a ReLU without a child.
     */
    protected final void setActivation(Block relu) {
        this.activation = relu;
    }

    /** Ends in {@code branch(x) + shortcut(x)} without an activation (timm's inverted residuals). */
    protected final void setLinearSum() {
        this.linearSum = true;
    }

    /** Returns the branch alone: no shortcut and no sum (timm's blocks without {@code has_skip}). */
    protected final void setNoShortcut() {
        this.noShortcut = true;
    }

    /** The block's name in error messages. */
    protected final String name() {
        return name;
    }

    @Override
    public final <T> List<T> forward(Ops<T> ops, List<T> inputs) {
        List<T> given = List.of();
        if (shortcutGiven) {
            Checks.require(inputs.size() == 1 || inputs.size() == 2, name, "expected (x) or (x, residual), got "
                    + inputs.size() + " inputs");
            given = inputs.subList(1, inputs.size());
            inputs = inputs.subList(0, 1);
        }
        checkInputs(ops, inputs);
        if (noShortcut) {
            return branch(ops, inputs);
        }
        inputs.forEach(ops::share);
        List<T> branch = branch(ops, inputs);
        List<T> identity = !given.isEmpty() ? given : shortcut == null ? inputs : ops.child(shortcut, inputs);
        Checks.require(branch.size() == identity.size(), name, "the residual branch returns " + branch.size()
                + " array(s) but the shortcut " + identity.size() + "; without a downsample the input must be "
                + (branch.size() == 2 ? "a (high, low) pair" : "a single array"));
        List<T> out = new ArrayList<>(branch.size());
        for (int i = 0; i < branch.size(); i++) {
            Shape b = ops.shapeOf(branch.get(i));
            Shape s = ops.shapeOf(identity.get(i));
            if (b != null && !b.equals(s)) {
                throw new IllegalArgumentException(name + ": residual branch " + b + " and shortcut " + s
                        + " differ" + (branch.size() == 2 ? " (part " + (i == 0 ? "high" : "low") + ")" : "")
                        + "; expected an input of the shape the block was built for");
            }
            out.add(activation == null && !linearSum ? ops.residualRelu(branch.get(i), identity.get(i))
                    : ops.add(branch.get(i), identity.get(i)));
        }
        List<T> result = activation == null ? out : ops.child(activation, out);
        for (T x : inputs) {
            if (result.stream().noneMatch(r -> r == x)) { // identity: a value is not its equal
                ops.release(x);
            }
        }
        return result;
    }
}
