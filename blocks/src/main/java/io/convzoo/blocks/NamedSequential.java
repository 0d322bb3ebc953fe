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
        List<Block> blocks = children.values();
        List<T> current = inputs;
        for (int i = 0; i < blocks.size(); i++) {
            Block child = blocks.get(i);
            Block next = i + 1 < blocks.size() ? blocks.get(i + 1) : null;
            if (next instanceof BatchNorm && current.size() == 1) {
                current = List.of(ops.convBn(child, next, current.get(0)));
                i++;
            } else {
                current = ops.child(child, current);
            }
        }
        return current;
    }
}
