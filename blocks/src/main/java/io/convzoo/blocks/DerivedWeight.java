package io.convzoo.blocks;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A conv weight a block computes from its parameters (HetConv's dense kernel gathered from its two
 * weights). Training forwards derive it every time (the gradient reaches the parameters). While
 * caching is on (the block's inference preparation), eval forwards and scripts use one copy made from
 * the current parameter arrays, remade when an array is replaced or after a training forward.
 */
public final class DerivedWeight {

    private final List<Parameter> sources;
    /** Null for a parameter used as it is ({@link #of(Parameter)}). */
    private final Function<List<NDArray>, NDArray> derivation;
    private final Shape shape;
    private volatile boolean caching;
    private Cached cached;

    private record Cached(List<NDArray> sources, NDArray value) {
        boolean isFor(List<NDArray> current) {
            if (value.isReleased() || current.size() != sources.size()) {
                return false;
            }
            for (int i = 0; i < current.size(); i++) {
                if (current.get(i) != sources.get(i)) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * @param sources the parameters the weight is computed from, in the order {@code derivation} gets them
     * @param derivation the weight from the sources' arrays (engine ops, so that it is differentiable)
     * @param shape the weight's shape (out, in/groups, kh, kw)
     */
    public DerivedWeight(List<Parameter> sources, Function<List<NDArray>, NDArray> derivation, Shape shape) {
        this.sources = List.copyOf(sources);
        this.derivation = derivation;
        this.shape = shape;
    }

    /** A parameter used as it is (a bias beside a derived kernel); its shape is known once initialized. */
    public static DerivedWeight of(Parameter parameter) {
        return new DerivedWeight(List.of(parameter), null, null);
    }

    /** The weight's shape. */
    public Shape shape() {
        return shape != null ? shape : sources.get(0).getShape();
    }

    /** Turns the eval-mode copy on or off; either way a copy already made is dropped. */
    public synchronized void setCaching(boolean enabled) {
        caching = enabled;
        drop();
    }

    /** The weight for a forward on {@code device}; {@code anchor} (the input) owns a per-forward copy. */
    public NDArray forForward(ParameterStore ps, Device device, boolean training, NDArray anchor) {
        List<NDArray> arrays = new ArrayList<>(sources.size());
        for (Parameter p : sources) {
            arrays.add(ps.getValue(p, device, training));
        }
        if (derivation == null) {
            return arrays.get(0);
        }
        if (training) {
            drop();
        } else if (caching) {
            return cachedFor(arrays);
        }
        return ForwardArrays.derive(anchor, () -> derivation.apply(arrays));
    }

    /**
     * The weight an eval forward uses now, from the parameters' own arrays: the cached copy while
     * caching is on, else a new array the caller owns ({@code owned[0]} is then set to true).
     */
    public NDArray forEval(boolean[] owned) {
        List<NDArray> arrays = new ArrayList<>(sources.size());
        for (Parameter p : sources) {
            arrays.add(p.getArray());
        }
        if (derivation == null || caching) {
            owned[0] = false;
            if (derivation == null) {
                return arrays.get(0);
            }
            return cachedFor(arrays);
        }
        owned[0] = true;
        NDArray value = ForwardArrays.derive(arrays.get(0), () -> derivation.apply(arrays));
        ForwardArrays.keep(value);
        return value;
    }

    private synchronized NDArray cachedFor(List<NDArray> arrays) {
        Cached c = cached;
        if (c == null || !c.isFor(arrays)) {
            drop();
            // Lives with the parameters' manager, outside any forward's scope.
            NDArray value = ForwardArrays.derive(arrays.get(0), () -> derivation.apply(arrays));
            ForwardArrays.keep(value);
            c = new Cached(List.copyOf(arrays), value);
            cached = c;
        }
        return c.value();
    }

    private synchronized void drop() {
        if (cached != null) {
            cached.value().close();
            cached = null;
        }
    }
}
