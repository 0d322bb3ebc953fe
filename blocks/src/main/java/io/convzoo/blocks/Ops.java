package io.convzoo.blocks;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The vocabulary a block states its dataflow in, once ({@link DataflowBlock#forward}). Each
 * interpreter gives the values its own meaning: {@link EagerOps} computes DJL arrays, {@link ShapeOps}
 * shapes (shape inference, child initialization, the summary walk), the script interpreter TorchScript
 * variables, and the folding analysis which outputs are linear in which convs.
 *
 * <p>Ownership: a value an op returns is <em>fresh</em>; the op that reads it consumes it, so an
 * interpreter may overwrite it in place (TorchScript's {@code relu_}) or free it (eager inference). A
 * block that reads a value more than once calls {@link #share} on it first. Values a block is given
 * by its caller follow the caller's rule: a block's own input is fresh only if its producer's was.
 *
 * @param <T> what a value is to this interpreter
 */
public interface Ops<T> {

    // ------------------------------------------------------------------ structure

    /** Applies a child block (any DJL block, or a {@link DataflowBlock}) to {@code inputs}. */
    List<T> child(Block child, List<T> inputs);

    /** {@link #child(Block, List)} of a block with one input and one output. */
    default T child(Block child, T x) {
        return single(child, child(child, List.of(x)));
    }

    /**
     * {@code norms.get(i)} applied to output {@code i} of {@code conv}: the pair the inference
     * preparation folds into one conv when {@code conv}'s outputs are linear in its convolutions.
     */
    List<T> convBn(Block conv, List<? extends Block> norms, List<T> inputs);

    /** {@link #convBn(Block, List, List)} with one input, one output and one BatchNorm. */
    default T convBn(Block conv, Block norm, T x) {
        return single(conv, convBn(conv, List.of(norm), List.of(x)));
    }

    /** Marks {@code x} as read more than once from here on: no op may overwrite or free it. */
    T share(T x);

    /**
     * The dataflow reads {@code x}, which it {@link #share shared}, no more: the forward frees it now if
     * it made it and this was its only share (a block's input, once the block's last op that reads it
     * has run), not at its end. A value shared twice (also kept by a feature list, say) is never freed here.
     */
    default void release(T x) {}

    /**
     * A value of the block's own state that the dataflow depends on (a temperature): the script bakes
     * it in and is remade when {@code state} changes.
     */
    default <V> V state(Supplier<V> state) {
        return state.get();
    }

    /**
     * Whether this is a training forward, for outputs only training uses (PyConvSegNet's auxiliary
     * head); only the eager interpreter runs one. Shapes, scripts and the folding analysis see the
     * eval dataflow.
     */
    default boolean training() {
        return false;
    }

    /** The shape of {@code x} where this interpreter knows it, else null. */
    Shape shapeOf(T x);

    /** Runs {@code rule} on the shape of {@code x} where this interpreter knows it (input checks). */
    default void require(T x, Consumer<Shape> rule) {
        Shape s = shapeOf(x);
        if (s != null) {
            rule.accept(s);
        }
    }

    // ------------------------------------------------------------------ element-wise

    T relu(T x);

    T sigmoid(T x);

    /** SiLU (swish), {@code x * sigmoid(x)}: EfficientNet's activation. */
    T silu(T x);

    T softmax(T x, int axis);

    /** {@code a + b} (broadcasting); written into {@code a} where it is fresh. */
    T add(T a, T b);

    /** {@code a * b} (broadcasting); written into {@code a} where it is fresh. */
    T mul(T a, T b);

    /** {@code x * factor}. */
    T scale(T x, float factor);

    /** A residual block's end, {@code relu(branch + shortcut)}. */
    default T residualRelu(T branch, T shortcut) {
        return relu(add(branch, shortcut));
    }

    // ------------------------------------------------------------------ layout

    /**
     * Training-only channel dropout ({@code nn.Dropout2d}): each (N, C) map zeroed with probability
     * {@code rate}, the others scaled by 1 / (1 − rate). Only a training forward calls it.
     */
    default T dropChannels(T x, float rate) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " runs no training forward");
    }

    /** Concatenation along {@code axis}; a single value is returned as it is. */
    T cat(List<T> values, int axis);

    /** {@code count} consecutive slices of {@code size} along {@code axis} (views where the engine has them). */
    List<T> split(T x, long size, int count, int axis);

    /** Flattens the axes from {@code startAxis} on into one. */
    T flatten(T x, int startAxis);

    /** The channels of {@code selection} of an (N, C, H, W) value, in that order. */
    T selectChannels(T x, ChannelSelection selection);

    // ------------------------------------------------------------------ pooling and resampling

    /** PyTorch's {@code avg_pool2d} with a square window. */
    T avgPool2d(T x, int kernel, int stride, int padding, boolean ceilMode, boolean countIncludePad);

    /** PyTorch's {@code max_pool2d(kernel, stride, padding)} with a square window. */
    T maxPool2d(T x, int kernel, int stride, int padding);

    /** Global average pool of (N, C, H, W) to (N, C). */
    T globalAvgPool(T x);

    /** The mean over H and W of (N, C, H, W), kept as (N, C, 1, 1). It reads {@code x} without consuming it. */
    T spatialMean(T x);

    /** Adaptive average pooling to {@code height × width} with PyTorch's bins. */
    T adaptiveAvgPool2d(T x, int height, int width);

    /** Bilinear resize of {@code x} to the spatial size of {@code like}, corners aligned. */
    T resizeBilinearAlignedLike(T x, T like);

    /** Nearest-neighbour ×2 upsampling (each pixel repeated along H and W). */
    T upsampleNearest2x(T x);

    /** {@code high + nearest-neighbour ×2 upsampling of low}, without making the upsampled copy. */
    T addUpsampled(T high, T low);

    // ------------------------------------------------------------------ convolutions

    /** A convolution with a weight (and bias, or null) the block derives from its parameters. */
    T conv2d(T x, DerivedWeight weight, DerivedWeight bias, ConvGeometry geometry);

    /**
     * A conv whose kernel set (and bias) is, per sample, the mixture of {@code bank} (K, out, in/g, k, k)
     * (and {@code biasBank} (K, out), or null) weighted by the (N, K) {@code attention}: dynamic
     * convolution and CondConv.
     */
    T mixtureConv(T x, T attention, Parameter bank, Parameter biasBank, MixtureConv spec);

    /** {@code conv}, then {@code norms.get(i)} on its output {@code i}: a {@link #convBn} pair unfolded. */
    static <T> List<T> convThenNorms(Ops<T> ops, Block conv, List<? extends Block> norms, List<T> inputs) {
        List<T> y = ops.child(conv, inputs);
        List<T> out = new java.util.ArrayList<>(norms.size());
        for (int i = 0; i < norms.size(); i++) {
            out.add(ops.child(norms.get(i), y.get(i)));
        }
        return out;
    }

    /**
     * {@code child} applied by {@code ops} where it is a container the interpreters read through (a
     * {@link DataflowBlock}: its forward; a DJL {@code SequentialBlock}: its children in order), else null.
     */
    static <T> List<T> throughContainer(Ops<T> ops, Block child, List<T> inputs) {
        if (child instanceof DataflowBlock d) {
            return d.forward(ops, inputs);
        }
        if (child instanceof ai.djl.nn.SequentialBlock) {
            List<T> current = inputs;
            for (Block b : child.getChildren().values()) {
                current = ops.child(b, current);
            }
            return current;
        }
        return null;
    }

    /** The single value of a one-output op. */
    static <T> T single(Block block, List<T> values) {
        if (values.size() != 1) {
            throw new IllegalArgumentException(block.getClass().getSimpleName() + ": expected one output, got "
                    + values.size());
        }
        return values.get(0);
    }
}
