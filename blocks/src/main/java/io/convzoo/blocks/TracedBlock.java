package io.convzoo.blocks;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;

/**
 * A composite block that states its shape dataflow once, in {@link #trace}: which child sees
 * which input shapes, in forward order, and what comes out. Shape inference, child initialization
 * and the model summary (per-layer shapes and MACs) are all derived from that one description.
 */
public abstract class TracedBlock extends AbstractBlock {

    /** Receives each child, in forward order, with the input shapes it sees. */
    @FunctionalInterface
    public interface ChildVisitor {
        void visit(String childName, Block child, Shape[] inputShapes);
    }

    private static final ChildVisitor NO_OP = (name, child, shapes) -> { };

    protected TracedBlock() {
    }

    protected TracedBlock(byte version) {
        super(version);
    }

    /**
     * Walks the children in forward order: for each, call {@link #visit} with its input shapes,
     * which returns its output shapes. Validate the input shapes here (rank, channels), so that
     * shape inference fails with the same clear message as the forward pass.
     *
     * @return this block's output shapes
     */
    protected abstract Shape[] trace(Shape[] inputShapes, ChildVisitor visitor);

    /** Reports one child to the visitor and returns the child's output shapes. */
    protected static Shape[] visit(ChildVisitor visitor, String childName, Block child, Shape... inputShapes) {
        visitor.visit(childName, child, inputShapes);
        return child.getOutputShapes(inputShapes);
    }

    /** Public entry for tools (the summary) that need every child's input shapes. */
    public final Shape[] traceChildren(Shape[] inputShapes, ChildVisitor visitor) {
        return trace(inputShapes, visitor);
    }

    /**
     * Replaces the child named {@code name} (as given to addChildBlock) by {@code replacement},
     * keeping its position; used by model surgery (a new classifier head, a new stem).
     */
    public void replaceChild(String name, Block replacement) {
        for (int i = 0; i < children.size(); i++) {
            String key = children.keyAt(i);
            if (key.substring(2).equals(name)) {
                children.remove(i);
                children.add(i, key, replacement);
                return;
            }
        }
        throw new IllegalArgumentException(getClass().getSimpleName() + ": no child named '" + name + "'");
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return trace(inputShapes, NO_OP);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        trace(inputShapes, (name, child, shapes) -> child.initialize(manager, dataType, shapes));
    }
}
