package io.convzoo.blocks.pyconv;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.convzoo.blocks.Checks;

/**
 * Bilinear resizing of NCHW arrays with {@code align_corners = true} (PyTorch's
 * {@code F.interpolate(x, size, mode='bilinear', align_corners=True)}), as the official PyConv
 * segmentation head uses it.
 *
 * <p>Why not {@code NDArrayEx.interpolation(size, 1, true)}: DJL 0.35.1's PyTorch engine passes
 * {@code align_corners = false} to libtorch whatever the argument says. Bilinear resizing is
 * separable, so it is computed here as {@code R_h · x · R_wᵀ} with two small interpolation matrices
 * (row {@code i} of R holds the two linear weights of source position {@code i·(in-1)/(out-1)}),
 * created on the input's device; it is differentiable like any matmul.
 */
public final class BilinearResize {

    private BilinearResize() {}

    /** Resizes {@code x} (N, C, H, W) to (N, C, h, w), bilinear, corners aligned. */
    public static NDArray alignCorners(NDArray x, long h, long w) {
        Checks.requireNchw("BilinearResize", x, -1);
        Checks.require(h >= 1 && w >= 1, "BilinearResize", "output size must be >= 1, got " + h + "x" + w);
        long inH = x.getShape().get(2);
        long inW = x.getShape().get(3);
        if (inH == h && inW == w) {
            return x;
        }
        NDManager m = x.getManager();
        NDArray rows = m.create(interpolationMatrix((int) inH, (int) h), new Shape(h, inH))
                .toType(x.getDataType(), false).toDevice(x.getDevice(), false);
        NDArray cols = m.create(interpolationMatrix((int) inW, (int) w), new Shape(w, inW))
                .toType(x.getDataType(), false).toDevice(x.getDevice(), false);
        return rows.matMul(x).matMul(cols.transpose());
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
}
