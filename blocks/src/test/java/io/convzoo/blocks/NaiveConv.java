package io.convzoo.blocks;

/**
 * Independent reference: a direct 2-D convolution as plain Java loops over NCHW float arrays,
 * with stride, padding, dilation and groups. Blocks are checked against it.
 */
public final class NaiveConv {

    private NaiveConv() {}

    /**
     * @param x input of shape (n, c, h, w), flattened row-major
     * @param w weights of shape (co, c / groups, kh, kw)
     * @param bias bias of length co, or null
     * @return output of shape (n, co, oh, ow), flattened
     */
    public static float[] conv2d(float[] x, int n, int c, int h, int wd, float[] w, int co, int kh, int kw,
                                 float[] bias, int stride, int pad, int dil, int groups) {
        int oh = (int) ConvMath.outputSize(h, kh, stride, pad, dil);
        int ow = (int) ConvMath.outputSize(wd, kw, stride, pad, dil);
        int cinPerGroup = c / groups;
        int coutPerGroup = co / groups;
        float[] out = new float[n * co * oh * ow];
        for (int b = 0; b < n; b++) {
            for (int o = 0; o < co; o++) {
                int g = o / coutPerGroup;
                for (int y = 0; y < oh; y++) {
                    for (int xo = 0; xo < ow; xo++) {
                        double acc = bias == null ? 0 : bias[o];
                        for (int ci = 0; ci < cinPerGroup; ci++) {
                            int cin = g * cinPerGroup + ci;
                            for (int ky = 0; ky < kh; ky++) {
                                int iy = y * stride - pad + ky * dil;
                                if (iy < 0 || iy >= h) {
                                    continue;
                                }
                                for (int kx = 0; kx < kw; kx++) {
                                    int ix = xo * stride - pad + kx * dil;
                                    if (ix < 0 || ix >= wd) {
                                        continue;
                                    }
                                    acc += x[((b * c + cin) * h + iy) * wd + ix]
                                            * w[((o * cinPerGroup + ci) * kh + ky) * kw + kx];
                                }
                            }
                        }
                        out[((b * co + o) * oh + y) * ow + xo] = (float) acc;
                    }
                }
            }
        }
        return out;
    }

    /** Elementwise sum of two equally long arrays. */
    public static float[] add(float[] a, float[] b) {
        float[] r = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = a[i] + b[i];
        }
        return r;
    }
}
