package io.convzoo.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import java.util.function.Supplier;

/**
 * Scopes of the arrays a forward makes (the per-value lifetimes are {@link EagerOps}'s).
 *
 * <ul>
 *   <li>{@link #derive}: kernels derived from parameters inside a forward belong to the forward, not
 *       to the parameters' manager (DJL puts an op's result in its first operand's manager, which lives
 *       as long as the model: a leak on every forward otherwise).</li>
 *   <li>{@link #step}: in an eval forward, each child block runs in a scope that frees what it made
 *       besides its outputs.</li>
 *   <li>{@link #keep}: arrays made during a forward but cached across forwards (folded kernels, index
 *       maps) must be marked, or the enclosing step frees them.</li>
 * </ul>
 */
public final class ForwardArrays {

    private ForwardArrays() {}

    /**
     * Runs {@code derivation} and gives its result to {@code input}'s manager (freed with the forward's
     * arrays); the intermediate arrays it made are closed (autograd keeps what the backward needs).
     */
    public static NDArray derive(NDArray input, Supplier<NDArray> derivation) {
        NDArray result;
        try (NDScope scope = new NDScope()) {
            result = derivation.get();
            NDScope.unregister(result);
            result.attach(input.getManager());
        }
        // Owned by the enclosing scope, if any (an eval step frees it with the step's other arrays).
        NDScope.register(result);
        return result;
    }

    /**
     * One step of a forward: the arrays {@code body} makes, except its outputs, are closed when it
     * returns. In training too: autograd holds its own references to what the backward needs, so closing
     * the Java handles frees only what nothing reads again (fewer page faults, a lower peak).
     */
    public static NDList step(Supplier<NDList> body) {
        try (NDScope scope = new NDScope()) {
            NDList out = body.get();
            NDScope.unregister(out);
            return out;
        }
    }

    /** Marks arrays made during a forward but cached across forwards: the enclosing {@link #step} keeps them. */
    public static void keep(NDArray... cached) {
        NDScope.unregister(cached);
    }
}
