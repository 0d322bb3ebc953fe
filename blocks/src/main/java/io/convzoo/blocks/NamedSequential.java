package io.convzoo.blocks;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import ai.djl.util.PairList;

/**
 * A sequence of blocks whose children carry chosen names (DJL's SequentialBlock names them after
 * their class). Named children give parameter paths that mirror the official PyTorch module names,
 * e.g. {@code layer1.0.conv1.weight}.
 */
public class NamedSequential extends TracedBlock {

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
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        NDList current = inputs;
        for (Block child : children.values()) {
            current = ForwardArrays.next(training, current, inputs, in -> child.forward(ps, in, training, params));
        }
        return current;
    }

    @Override
    protected Shape[] trace(Shape[] inputShapes, ChildVisitor visitor) {
        Shape[] shapes = inputShapes;
        for (Pair<String, Block> child : children) {
            shapes = visit(visitor, child.getKey().substring(2), child.getValue(), shapes);
        }
        return shapes;
    }
}
