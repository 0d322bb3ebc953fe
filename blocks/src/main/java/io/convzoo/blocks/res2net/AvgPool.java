package io.convzoo.blocks.res2net;

import io.convzoo.blocks.script.ScriptWriter;
import io.convzoo.blocks.script.Scriptable;
import java.util.List;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.convzoo.blocks.Checks;
import io.convzoo.blocks.ConvMath;

/**
 * Square 2-D average pooling with PyTorch's {@code nn.AvgPool2d} semantics (ceil mode and
 * count_include_pad), as a parameter-free block. Unlike a lambda pooling block its output shape is
 * computed in closed form, so shape inference of a deep network allocates no arrays.
 */
public final class AvgPool extends AbstractBlock implements Scriptable {

    private static final String NAME = "AvgPool";

    private final int kernel;
    private final int stride;
    private final int padding;
    private final boolean ceilMode;
    private final boolean countIncludePad;

    /** A {@code kernel}×{@code kernel} average pool; arguments as in {@code nn.AvgPool2d}. */
    public AvgPool(int kernel, int stride, int padding, boolean ceilMode, boolean countIncludePad) {
        Checks.require(kernel >= 1 && stride >= 1 && padding >= 0 && 2 * padding <= kernel, NAME,
                "needs kernel >= 1, stride >= 1 and 0 <= padding <= kernel/2, got kernel=" + kernel
                        + " stride=" + stride + " padding=" + padding);
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.ceilMode = ceilMode;
        this.countIncludePad = countIncludePad;
    }

    /** Output length along one axis, PyTorch's rule: a ceil-mode window must start inside the input or left padding. */
    public long outputSize(long input) {
        if (!ceilMode) {
            return ConvMath.outputSize(input, kernel, stride, padding, 1);
        }
        long span = input + 2L * padding - kernel;
        Checks.require(span >= 0, NAME, "input length " + input + " is smaller than the kernel " + kernel);
        long out = Math.floorDiv(span + stride - 1, stride) + 1;
        if ((out - 1) * stride >= input + padding) {
            out--;
        }
        return out;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        Checks.requireNchw(NAME, x, 0);
        NDArray pooled = pool(x);
        if (countIncludePad || padding == 0) {
            return new NDList(pooled);
        }
        // DJL's PyTorch JNI drops count_include_pad (libtorch then always counts the padding).
        // Dividing by the pooled ones map turns sum/windowSize into sum/(cells inside the input).
        NDArray ones = x.getManager().ones(new Shape(1, 1, x.getShape().get(2), x.getShape().get(3)),
                x.getDataType(), x.getDevice());
        return new NDList(pooled.div(pool(ones)));
    }

    @Override
    public List<String> emitScript(ScriptWriter w, List<String> inputs) {
        return List.of(w.avgPool2d(inputs.get(0), kernel, stride, padding, ceilMode, countIncludePad));
    }

    private NDArray pool(NDArray x) {
        return Pool.avgPool2d(x, new Shape(kernel, kernel), new Shape(stride, stride),
                new Shape(padding, padding), ceilMode, true);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape s = inputShapes[0];
        Checks.requireNchw(NAME, s, 0);
        return new Shape[] {new Shape(s.get(0), s.get(1), outputSize(s.get(2)), outputSize(s.get(3)))};
    }

    @Override
    public String toString() {
        return "AvgPool(kernel=" + kernel + ", stride=" + stride + ", padding=" + padding
                + ", ceilMode=" + ceilMode + ", countIncludePad=" + countIncludePad + ")";
    }
}
