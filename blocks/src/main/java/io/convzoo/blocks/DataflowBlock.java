package io.convzoo.blocks;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.List;

/**
 * A DJL block that states its dataflow once, in {@link #forward(Ops, List)}, generic over what a
 * value is. DJL's forward runs it on arrays ({@link EagerOps}); shape inference, child initialization
 * and the model summary's walk run it on shapes ({@link ShapeOps}); the scripted forward writes it as
 * TorchScript, and the inference preparation reads which outputs are linear in which convolutions from
 * it. Nothing else describes what the block computes.
 */
public abstract class DataflowBlock extends AbstractBlock {

    /** Receives each child, in forward order, with the input shapes it sees and its path below this block. */
    @FunctionalInterface
    public interface ChildVisitor {
        void visit(String childPath, Block child, Shape[] inputShapes);
    }

    /** Set on a prepared model's root: its eval forwards then run compiled. */
    private volatile CompiledForward compiled;

    protected DataflowBlock() {
    }

    protected DataflowBlock(byte version) {
        super(version);
    }

    /**
     * The dataflow: what this block computes from {@code inputs}, as ops of {@code ops}. The default
     * takes one input and calls {@link #forward(Ops, Object)}.
     */
    public <T> List<T> forward(Ops<T> ops, List<T> inputs) {
        if (inputs.size() != 1) {
            throw new IllegalArgumentException(this + ": expected one input, got " + inputs.size() + " inputs");
        }
        return List.of(forward(ops, inputs.get(0)));
    }

    /** The dataflow of a block with one input and one output. */
    protected <T> T forward(Ops<T> ops, T x) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " overrides neither forward");
    }

    @Override
    protected final NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                                           PairList<String, Object> params) {
        CompiledForward c = compiled;
        if (c == null) {
            return EagerOps.run(this, ps, inputs, training, params);
        }
        if (training) {
            c.invalidate();
            return EagerOps.run(this, ps, inputs, true, params);
        }
        return c.forward(inputs, () -> EagerOps.run(this, ps, inputs, false, params));
    }

    /**
     * Runs this block's eval forwards through {@code compiled} (null: block by block again); the
     * inference preparation sets it on a model's root.
     */
    public void setCompiledForward(CompiledForward compiled) {
        CompiledForward old = this.compiled;
        this.compiled = compiled;
        if (old != null && old != compiled) {
            old.invalidate();
        }
    }

    /** The compiled forward set by {@link #setCompiledForward}, or null. */
    public CompiledForward getCompiledForward() {
        return compiled;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return ShapeOps.run(this, inputShapes, null);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        ShapeOps.run(this, inputShapes, (path, child, shapes) -> child.initialize(manager, dataType, shapes));
    }

    /** Reports every child the forward applies, in order, with its input shapes; returns the output shapes. */
    public final Shape[] traceChildren(Shape[] inputShapes, ChildVisitor visitor) {
        return ShapeOps.run(this, inputShapes, visitor);
    }

    /**
     * Replaces the child named {@code name} (as given to addChildBlock) by {@code replacement},
     * keeping its position and key; used by model surgery (a new classifier head, a new stem) on
     * blocks whose forward reads their children from the child list (sequences).
     */
    public void replaceChild(String name, Block replacement) {
        for (int i = 0; i < children.size(); i++) {
            if (ChildNames.name(children.keyAt(i), i).equals(name)) {
                String key = children.keyAt(i);
                children.remove(i);
                children.add(i, key, replacement);
                return;
            }
        }
        throw new IllegalArgumentException(getClass().getSimpleName() + ": no child named '" + name + "'");
    }
}
