package io.convzoo.blocks;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import io.convzoo.blocks.script.ScriptWriter;
import io.convzoo.blocks.script.Scriptable;
import io.convzoo.blocks.script.ScriptedForward;
import java.util.List;

/**
 * A sequence of blocks whose children carry chosen names (DJL's SequentialBlock names them after
 * their class). Named children give parameter paths that mirror the official PyTorch module names,
 * e.g. {@code layer1.0.conv1.weight}.
 */
public class NamedSequential extends TracedBlock implements Scriptable {

    /** Set on a prepared model's root: its eval forwards then run as one TorchScript module. */
    private volatile ScriptedForward scripted;

    /** Appends {@code block} under {@code name}; returns this for chaining. */
    public NamedSequential add(String name, Block block) {
        addChildBlock(name, block);
        return this;
    }

    /** Number of children. */
    public int size() {
        return children.size();
    }

    /**
     * Runs this block's eval forwards through {@code scripted} (null: block by block again). The
     * inference preparation sets it on a model's root; training forwards always run block by block
     * and make the script stale.
     */
    public void setScriptedForward(ScriptedForward scripted) {
        ScriptedForward old = this.scripted;
        this.scripted = scripted;
        if (old != null && old != scripted) {
            old.invalidate();
        }
    }

    /** The scripted forward set by {@link #setScriptedForward}, or null. */
    public ScriptedForward getScriptedForward() {
        return scripted;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        ScriptedForward s = scripted;
        if (s == null) {
            return forwardChildren(ps, inputs, training, params);
        }
        if (training) {
            s.invalidate();
            return forwardChildren(ps, inputs, true, params);
        }
        return s.forward(inputs, () -> forwardChildren(ps, inputs, false, params));
    }

    /** The children's forward, one after the other. */
    protected NDList forwardChildren(ParameterStore ps, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        NDList current = inputs;
        for (Block child : children.values()) {
            current = ForwardArrays.next(training, current, inputs, in -> child.forward(ps, in, training, params));
        }
        return current;
    }

    @Override
    public List<String> emitScript(ScriptWriter w, List<String> inputs) {
        return w.emitSequence(children.values(), inputs);
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
