package io.convzoo.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Activation;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Lifetimes of the arrays a forward makes.
 *
 * <ul>
 *   <li>{@link #derive}: kernels a block derives from its parameters inside a forward (reshaped,
 *       gathered or spread weights). DJL puts an op's result in its first operand's manager, so
 *       without this they would belong to the parameter's manager, which lives as long as the model:
 *       a leak on every forward (a pyconvresnet_small training run grew by about 1.8 GB per epoch
 *       that way).</li>
 *   <li>{@link #step} and {@link #release}: in an eval forward, intermediates are freed as soon as
 *       they are dead instead of when the whole forward's scope closes, as TorchScript does. libtorch
 *       then reuses their cache-warm memory for the next op; with every intermediate alive until the
 *       end, each op wrote to fresh memory (DY-ResNet-50 at batch 8: 1.36× its trace before, 0.99–1.19×
 *       after, docs/benchmarks.md).</li>
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
     * One step of a forward: in eval mode the arrays {@code body} makes, except its outputs, are closed
     * when it returns; a training forward runs {@code body} unchanged (autograd keeps what the backward
     * needs, but the caller may still read an intermediate's gradient).
     */
    public static NDList step(boolean training, Supplier<NDList> body) {
        if (training) {
            return body.get();
        }
        try (NDScope scope = new NDScope()) {
            NDList out = body.get();
            NDScope.unregister(out);
            return out;
        }
    }

    /**
     * The next step of a chain ({@link #step}) on {@code in}, whose arrays are then released: dead once
     * read, except those of {@code chainInputs} (the caller's) and those the step passed through.
     */
    public static NDList next(boolean training, NDList in, NDList chainInputs, Function<NDList, NDList> body) {
        NDList out = step(training, () -> body.apply(in));
        release(training, in, chainInputs, out);
        return out;
    }

    /**
     * In eval mode, closes the arrays of {@code consumed} (a step's input, now dead) except those also
     * in {@code kept} (by identity): the forward's own inputs and the step's outputs, which a step may
     * pass through unchanged.
     */
    public static void release(boolean training, NDList consumed, NDList... kept) {
        if (training) {
            return;
        }
        for (NDArray a : consumed) {
            if (!containsSame(a, kept)) {
                a.close();
            }
        }
    }

    /**
     * ReLU of an intermediate nothing else reads (a conv's fresh output): in eval its input is freed at
     * once, so the allocator hands that warm buffer to the next op, as TorchScript's in-place
     * {@code relu_} does (DJL has no in-place ReLU).
     */
    public static NDArray reluOfFresh(NDArray fresh, boolean training) {
        NDArray y = Activation.relu(fresh);
        if (!training) {
            fresh.close();
        }
        return y;
    }

    /**
     * A residual block's end, {@code relu(branch + shortcut)}: in eval the sum goes into the branch's
     * own output (a fresh array nobody else holds; no autograd to protect) and is freed once activated.
     */
    public static NDArray residualRelu(NDArray branch, NDArray shortcut, boolean training) {
        return reluOfFresh(training ? branch.add(shortcut) : branch.addi(shortcut), training);
    }

    /**
     * {@code fresh + other}, where both are fresh outputs nobody else reads (two conv paths summed):
     * in eval the sum goes into {@code fresh} and {@code other} is freed at once.
     */
    public static NDArray sumInto(NDArray fresh, NDArray other, boolean training) {
        if (training) {
            return fresh.add(other);
        }
        fresh.addi(other);
        other.close();
        return fresh;
    }

    /**
     * Marks arrays made during a forward but cached across forwards (folded kernels, index maps):
     * they must outlive the enclosing {@link #step}, which would otherwise close them.
     */
    public static void keep(NDArray... cached) {
        NDScope.unregister(cached);
    }

    private static boolean containsSame(NDArray a, NDList... lists) {
        for (NDList list : lists) {
            for (NDArray b : list) {
                if (a == b) {
                    return true;
                }
            }
        }
        return false;
    }
}
