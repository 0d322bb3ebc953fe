package io.convzoo.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.pooling.Pool;

/**
 * Resampling of NCHW arrays built from engine ops only (matmuls, pools, views), with PyTorch's
 * definitions, for the eager interpreter.
 *
 * <ul>
 *   <li>Adaptive average pooling: output row {@code i} averages input rows
 *       {@code [floor(i*H/outH), ceil((i+1)*H/outH))}; an average pool when the sizes divide, else
 *       {@code A_h · x · A_wᵀ} with two small averaging matrices (DJL has no public adaptive pool).</li>
 *   <li>Bilinear resizing with aligned corners, as {@code R_h · x · R_wᵀ}: DJL 0.35.1's PyTorch engine
 *       passes {@code align_corners = false} to libtorch whatever its interpolation argument says.</li>
 *   <li>OctConv's 2×2 average pool, nearest ×2 upsampling, and the add of an upsampled map without
 *       making the upsampled copy.</li>
 * </ul>
 */
public final class Resampling {

    private Resampling() {}

    /** Adaptive average pooling of {@code x} (N, C, H, W) to (N, C, outH, outW). */
    public static NDArray adaptiveAvgPool(NDArray x, int outH, int outW) {
        long h = x.getShape().get(2);
        long w = x.getShape().get(3);
        if (h == outH && w == outW) {
            return x;
        }
        if (h % outH == 0 && w % outW == 0) {
            Shape kernel = new Shape(h / outH, w / outW);
            return Pool.avgPool2d(x, kernel, kernel, new Shape(0, 0), false, true);
        }
        NDArray rows = matrix(x, averagingMatrix((int) h, outH), outH, h);
        NDArray cols = matrix(x, averagingMatrix((int) w, outW), outW, w);
        return rows.matMul(x).matMul(cols.transpose());
    }

    /** Bilinear resize of {@code x} (N, C, H, W) to (N, C, h, w) with aligned corners. */
    public static NDArray bilinearAligned(NDArray x, long h, long w) {
        long inH = x.getShape().get(2);
        long inW = x.getShape().get(3);
        if (inH == h && inW == w) {
            return x;
        }
        NDArray rows = matrix(x, interpolationMatrix((int) inH, (int) h), h, inH);
        NDArray cols = matrix(x, interpolationMatrix((int) inW, (int) w), w, inW);
        return rows.matMul(x).matMul(cols.transpose());
    }

    /** 2×2 average pooling, stride 2, floor mode (PyTorch's AvgPool2d(2, 2)). */
    public static NDArray avgPool2x2(NDArray x) {
        return Pool.avgPool2d(x, new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false, true);
    }

    /** Nearest-neighbour ×2 upsampling (each pixel repeated along H and W). */
    public static NDArray nearestUpsample2x(NDArray x) {
        Shape s = x.getShape();
        return x.getNDArrayInternal().interpolation(new long[] {2 * s.get(2), 2 * s.get(3)}, 0, false);
    }

    /**
     * {@code high + nearestUpsample2x(low)} as ONE broadcast add: high (N, C, 2H, 2W) viewed as
     * (N, C, H, 2, W, 2) plus low viewed as (N, C, H, 1, W, 1). With {@code inPlace} the sum goes into
     * {@code high} through its view and {@code low} is freed; otherwise a new array, both untouched.
     */
    public static NDArray addUpsampled(NDArray high, NDArray low, boolean inPlace) {
        Shape s = low.getShape();
        long n = s.get(0);
        long c = s.get(1);
        long h = s.get(2);
        long w = s.get(3);
        NDArray lowView = low.reshape(n, c, h, 1, w, 1);
        if (!inPlace) {
            return high.reshape(n, c, h, 2, w, 2).add(lowView).reshape(n, c, 2 * h, 2 * w);
        }
        try (NDArray highView = high.reshape(n, c, h, 2, w, 2)) {
            highView.addi(lowView);
        }
        lowView.close();
        low.close();
        return high;
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

    /**
     * Row-major (out × in) matrix of 1-D linear interpolation with aligned corners: output {@code i}
     * samples source position {@code s = i·(in-1)/(out-1)} (0 when out = 1) with weights
     * {@code 1 - frac(s)} and {@code frac(s)} on its two neighbours.
     */
    public static float[] interpolationMatrix(int in, int out) {
        float[] r = new float[out * in];
        double scale = out > 1 ? (double) (in - 1) / (out - 1) : 0;
        for (int i = 0; i < out; i++) {
            double s = i * scale;
            int lo = Math.min((int) Math.floor(s), in - 1);
            int hi = Math.min(lo + 1, in - 1);
            double frac = s - lo;
            r[i * in + lo] += (float) (1 - frac);
            r[i * in + hi] += (float) frac;
        }
        return r;
    }

    private static NDArray matrix(NDArray like, float[] values, long rows, long cols) {
        return like.getManager().create(values, new Shape(rows, cols)).toType(like.getDataType(), false)
                .toDevice(like.getDevice(), false);
    }
}
