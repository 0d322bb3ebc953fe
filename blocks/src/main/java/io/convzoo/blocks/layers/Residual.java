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
 * low) pair), written once for every family: a family's block states only its input check and its
 * branch; the shortcut is its {@code downsample} child or the identity.
 */
public abstract class Residual extends DataflowBlock {

    /** The block's name in error messages. */
    protected abstract String name();

    /** Checks the block's inputs before anything runs (where the interpreter knows shapes). */
    protected abstract <T> void checkInputs(Ops<T> ops, List<T> inputs);

    /** The residual branch of {@code inputs}; it must not overwrite them (they are shared with the shortcut). */
    protected abstract <T> List<T> branch(Ops<T> ops, List<T> inputs);

    /** The projection of the shortcut ({@code downsample}), or null for the identity. */
    protected abstract Block shortcut();

    /**
     * The block's own ReLU child (where the official module has one that the block's structure keeps),
     * applied to the sums; null to apply ReLU without a child.
     */
    protected Block activation() {
        return null;
    }

    @Override
    public final <T> List<T> forward(Ops<T> ops, List<T> inputs) {
        checkInputs(ops, inputs);
        inputs.forEach(ops::share);
        List<T> branch = branch(ops, inputs);
        Block projection = shortcut();
        List<T> shortcut = projection == null ? inputs : ops.child(projection, inputs);
        Checks.require(branch.size() == shortcut.size(), name(), "the residual branch returns " + branch.size()
                + " array(s) but the shortcut " + shortcut.size() + "; without a downsample the input must be "
                + (branch.size() == 2 ? "a (high, low) pair" : "a single array"));
        List<T> out = new ArrayList<>(branch.size());
        Block activation = activation();
        for (int i = 0; i < branch.size(); i++) {
            Shape b = ops.shapeOf(branch.get(i));
            Shape s = ops.shapeOf(shortcut.get(i));
            if (b != null && !b.equals(s)) {
                throw new IllegalArgumentException(name() + ": residual branch " + b + " and shortcut " + s
                        + " differ" + (branch.size() == 2 ? " (part " + (i == 0 ? "high" : "low") + ")" : "")
                        + "; expected an input of the shape the block was built for");
            }
            out.add(activation == null ? ops.residualRelu(branch.get(i), shortcut.get(i))
                    : ops.add(branch.get(i), shortcut.get(i)));
        }
        return activation == null ? out : ops.child(activation, out);
    }
}
