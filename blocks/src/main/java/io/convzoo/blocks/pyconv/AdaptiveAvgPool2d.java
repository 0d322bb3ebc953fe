package io.convzoo.blocks.pyconv;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.convzoo.blocks.Checks;

/**
 * Adaptive average pooling of an NCHW array to a fixed {@code outH × outW}, with PyTorch's bins:
 * output row {@code i} averages input rows {@code [floor(i*H/outH), ceil((i+1)*H/outH))}, and the
 * same for columns. Built from engine ops only (no engine-specific JNI call): when the input size is
 * a multiple of the output size it is an average pool with kernel = stride = H/outH; otherwise it is
 * {@code A_h · x · A_w} with two small averaging matrices (rows of A_h hold 1/binLength over each
 * bin), created on the input's device.
 */
public class AdaptiveAvgPool2d extends AbstractBlock {

    static final String NAME = "AdaptiveAvgPool2d";

    private final int outH;
    private final int outW;

    /** Pools to {@code outH × outW}. */
    public AdaptiveAvgPool2d(int outH, int outW) {
        Checks.require(outH >= 1 && outW >= 1, NAME, "output size must be >= 1, got " + outH + "x" + outW);
        this.outH = outH;
        this.outW = outW;
    }

    /** Output height. */
    public int getOutH() {
        return outH;
    }

    /** Output width. */
    public int getOutW() {
        return outW;
    }

    /** Functional form: pools {@code x} (N, C, H, W) to (N, C, outH, outW). */
    public static NDArray pool(NDArray x, int outH, int outW) {
        Checks.requireNchw(NAME, x, -1);
        long h = x.getShape().get(2);
        long w = x.getShape().get(3);
        if (h == outH && w == outW) {
            return x;
        }
        if (h % outH == 0 && w % outW == 0) {
            Shape kernel = new Shape(h / outH, w / outW);
            return Pool.avgPool2d(x, kernel, kernel, new Shape(0, 0), false, true);
        }
        NDManager m = x.getManager();
        // (outH × H) · (N, C, H, W) · (W × outW) -> (N, C, outH, outW); matmul broadcasts over N, C.
        NDArray rows = m.create(averagingMatrix((int) h, outH), new Shape(outH, h))
                .toType(x.getDataType(), false).toDevice(x.getDevice(), false);
        NDArray cols = m.create(averagingMatrix((int) w, outW), new Shape(outW, w))
                .toType(x.getDataType(), false).toDevice(x.getDevice(), false);
        return rows.matMul(x).matMul(cols.transpose());
    }

    /**
     * Row-major (out × in) matrix whose row {@code i} averages PyTorch's adaptive bin {@code i}:
     * start = floor(i*in/out), end = ceil((i+1)*in/out).
     */
    public static float[] averagingMatrix(int in, int out) {
        float[] a = new float[out * in];
        for (int i = 0; i < out; i++) {
            int start = binStart(i, in, out);
            int end = binEnd(i, in, out);
            float weight = 1f / (end - start);
            for (int j = start; j < end; j++) {
                a[i * in + j] = weight;
            }
        }
        return a;
    }

    /** First input index of adaptive bin {@code i}: floor(i * in / out). */
    public static int binStart(int i, int in, int out) {
        return (int) Math.floorDiv((long) i * in, out);
    }

    /** One past the last input index of adaptive bin {@code i}: ceil((i + 1) * in / out). */
    public static int binEnd(int i, int in, int out) {
        return (int) -Math.floorDiv(-(long) (i + 1) * in, out);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        return new NDList(pool(inputs.singletonOrThrow(), outH, outW));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Checks.require(inputShapes.length == 1, NAME, "expected one input of shape (N, C, H, W), got "
                + inputShapes.length + " inputs");
        Shape in = inputShapes[0];
        Checks.requireNchw(NAME, in, -1);
        return new Shape[] {new Shape(in.get(0), in.get(1), outH, outW)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        getOutputShapes(inputShapes);
    }

    @Override
    public String toString() {
        return NAME + "(" + outH + "x" + outW + ")";
    }
}
