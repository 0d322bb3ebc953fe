package io.convzoo.blocks.octconv;

import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import io.convzoo.blocks.NaiveConv;

/**
 * Independent reference for {@link OctConv}: the official forward written out with
 * {@link NaiveConv} and plain Java loops for 2×2 average pooling and nearest ×2 upsampling, using
 * the block's own (initialized) weights. Arrays are NCHW, flattened row-major.
 */
final class OctConvReference {

    private OctConvReference() {}

    /** A flattened NCHW tensor with its shape. */
    record T(float[] v, int n, int c, int h, int w) {
        T add(T o) {
            if (o.n != n || o.c != c || o.h != h || o.w != w) {
                throw new AssertionError("reference shapes differ");
            }
            return new T(NaiveConv.add(v, o.v), n, c, h, w);
        }
    }

    /** 2×2 average pooling, stride 2, floor. */
    static T pool(T x) {
        int oh = x.h / 2;
        int ow = x.w / 2;
        float[] out = new float[x.n * x.c * oh * ow];
        for (int b = 0; b < x.n; b++) {
            for (int c = 0; c < x.c; c++) {
                for (int y = 0; y < oh; y++) {
                    for (int z = 0; z < ow; z++) {
                        double s = 0;
                        for (int dy = 0; dy < 2; dy++) {
                            for (int dz = 0; dz < 2; dz++) {
                                s += x.v[((b * x.c + c) * x.h + 2 * y + dy) * x.w + 2 * z + dz];
                            }
                        }
                        out[((b * x.c + c) * oh + y) * ow + z] = (float) (s / 4);
                    }
                }
            }
        }
        return new T(out, x.n, x.c, oh, ow);
    }

    /** Nearest ×2 upsampling. */
    static T upsample(T x) {
        int oh = x.h * 2;
        int ow = x.w * 2;
        float[] out = new float[x.n * x.c * oh * ow];
        for (int b = 0; b < x.n; b++) {
            for (int c = 0; c < x.c; c++) {
                for (int y = 0; y < oh; y++) {
                    for (int z = 0; z < ow; z++) {
                        out[((b * x.c + c) * oh + y) * ow + z] = x.v[((b * x.c + c) * x.h + y / 2) * x.w + z / 2];
                    }
                }
            }
        }
        return new T(out, x.n, x.c, oh, ow);
    }

    /** Applies one child conv of the block by direct loops, with its weights. */
    static T conv(Conv2d conv, T x, int kernel, int padding, int groups) {
        float[] w = conv.getParameters().get("weight").getArray().toFloatArray();
        float[] bias = conv.getParameters().contains("bias") ? conv.getParameters().get("bias").getArray().toFloatArray() : null;
        int co = (int) conv.getParameters().get("weight").getArray().getShape().get(0);
        float[] y = NaiveConv.conv2d(x.v, x.n, x.c, x.h, x.w, w, co, kernel, kernel, bias, 1, padding, 1, groups);
        int oh = x.h + 2 * padding - kernel + 1;
        int ow = x.w + 2 * padding - kernel + 1;
        return new T(y, x.n, co, oh, ow);
    }

    /** Groups of a child conv, read back from its weight shape (input channels / weight's dim 1). */
    static int groupsOf(Block conv, int inChannels) {
        long perGroup = conv.getParameters().get("weight").getArray().getShape().get(1);
        return (int) (inChannels / perGroup);
    }

    /** The official OctaveConv.forward; {@code xl} is null when alphaIn = 0. Returns {high, low-or-null}. */
    static T[] forward(OctConv block, T xh, T xl, int kernel, int padding) {
        if (block.getStride() == 2) {
            xh = pool(xh);
        }
        T high = conv(block.getConvH2h(), xh, kernel, padding, groupsOf(block.getConvH2h(), xh.c));
        T low = null;
        if (block.getConvH2l() != null) {
            T in = pool(xh);
            low = conv(block.getConvH2l(), in, kernel, padding, groupsOf(block.getConvH2l(), in.c));
        }
        if (xl != null) {
            if (block.getConvL2l() != null) {
                T in = block.getStride() == 2 ? pool(xl) : xl;
                T l2l = conv(block.getConvL2l(), in, kernel, padding, groupsOf(block.getConvL2l(), in.c));
                low = low == null ? l2l : low.add(l2l);
            }
            if (block.getConvL2h() != null) {
                T l2h = conv(block.getConvL2h(), xl, kernel, padding, groupsOf(block.getConvL2h(), xl.c));
                high = high.add(block.getStride() == 1 ? upsample(l2h) : l2h);
            }
        }
        T[] out = new T[] {high, low};
        return out;
    }
}
