package io.convzoo.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;

/**
 * What a compiled forward (the TorchScript module, the ONNX Runtime session) was made from: the
 * arrays of the model's parameters at that moment. It is current while every parameter still holds
 * the same array and their manager is open; it also holds the check every compiled forward must pass
 * against the block-by-block output before it is used.
 */
public final class CompiledSources {

    /** Outputs of a compiled forward and the block-by-block forward agree within this, times max(1, max |output|). */
    public static final float TOLERANCE = 1e-4f;

    private final List<Pair<Parameter, NDArray>> sources = new ArrayList<>();
    private final NDManager owner;

    /** The parameter arrays of {@code root} now. */
    public CompiledSources(Block root) {
        for (Parameter p : root.getParameters().values()) {
            sources.add(new Pair<>(p, p.isInitialized() ? p.getArray() : null));
        }
        NDArray first = sources.isEmpty() ? null : sources.get(0).getValue();
        owner = first == null ? null : first.getManager();
    }

    /** The manager of the parameters (the model's), or null for a model without parameters. */
    public NDManager owner() {
        return owner;
    }

    /** Whether the parameters still hold the arrays they held when this was taken. */
    public boolean isCurrent() {
        if (owner != null && !owner.isOpen()) {
            return false;
        }
        for (Pair<Parameter, NDArray> s : sources) {
            Parameter p = s.getKey();
            if (!p.isInitialized() || p.getArray() != s.getValue()) {
                return false;
            }
        }
        return true;
    }

    /** Null when {@code actual} matches {@code expected} within {@link #TOLERANCE}, else what differs. */
    public static String difference(NDArray actual, NDArray expected) {
        if (!actual.getShape().equals(expected.getShape())) {
            return "output shape " + actual.getShape() + " instead of " + expected.getShape();
        }
        float scale = Math.max(1f, expected.abs().max().getFloat());
        float diff = actual.sub(expected).abs().max().getFloat();
        return diff <= TOLERANCE * scale ? null
                : "differs from the block-by-block forward by " + diff + " (largest output " + scale + ")";
    }
}
