package io.convzoo.blocks;

import ai.djl.nn.Block;
import ai.djl.nn.norm.BatchNorm;
import java.util.List;

/**
 * A sequence of blocks whose children carry chosen names (DJL's SequentialBlock names them after
 * their class). Named children give parameter paths that mirror the official PyTorch module names,
 * e.g. {@code layer1.0.conv1.weight}. A child directly followed by a BatchNorm is applied with it as
 * one {@link Ops#convBn} pair, which the inference preparation folds when the child's output is
 * linear in its convolutions (a conv, a PyConv, a dynamic conv, a sequence ending in a conv).
 */
public class NamedSequential extends DataflowBlock {

    /** Appends {@code block} under {@code name}; returns this for chaining. */
    public NamedSequential add(String name, Block block) {
        addChildBlock(name, block);
        return this;
    }

    /** Number of children. */
    public int size() {
        return children.size();
    }

    @Override
    public <T> List<T> forward(Ops<T> ops, List<T> inputs) {
        return forwardThrough(ops, inputs, children.size() - 1, null);
    }

    /** Sees the outputs of child {@code index} as they are made. */
    @FunctionalInterface
    protected interface Tap<T> {
        void output(int index, List<T> values);
    }

    /**
     * Runs the children up to and including child {@code last}, handing {@code tap} (if any) each
     * child's outputs; a conv applied with its BatchNorm reports the pair's output at the BatchNorm.
     */
    protected <T> List<T> forwardThrough(Ops<T> ops, List<T> inputs, int last, Tap<T> tap) {
        List<Block> blocks = children.values();
        List<T> current = inputs;
        for (int i = 0; i <= last; i++) {
            Block child = blocks.get(i);
            Block next = i + 1 < blocks.size() ? blocks.get(i + 1) : null;
            if (next instanceof BatchNorm && current.size() == 1) {
                current = List.of(ops.convBn(child, next, current.get(0)));
                i++;
            } else {
                current = ops.child(child, current);
            }
            if (tap != null) {
                tap.output(i, current);
            }
        }
        return current;
    }
}
