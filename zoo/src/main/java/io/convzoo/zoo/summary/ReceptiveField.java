package io.convzoo.zoo.summary;

import ai.djl.ndarray.types.Shape;
import io.convzoo.blocks.ConvMath;

/**
 * Receptive field (in input pixels) and jump (distance in input pixels between adjacent outputs)
 * of one tensor, per spatial axis, tracked along the summary's walk with
 * r_out = r_in + (k_eff - 1) * j_in and j_out = j_in * stride.
 */
record ReceptiveField(double height, double width, double jumpHeight, double jumpWidth) {

    /** A network input: every value sees one pixel, neighbours are one pixel apart. */
    static final ReceptiveField INPUT = new ReceptiveField(1, 1, 1, 1);

    /** After a convolution or pooling window with known geometry. */
    ReceptiveField window(long kh, long kw, double strideH, double strideW, long dh, long dw) {
        return new ReceptiveField(
                height + (ConvMath.receptiveField(kh, dh) - 1) * jumpHeight,
                width + (ConvMath.receptiveField(kw, dw) - 1) * jumpWidth,
                jumpHeight * strideH, jumpWidth * strideW);
    }

    /**
     * After an op whose geometry is not readable (a lambda pool, a functional op inside a block):
     * the stride is estimated from the spatial sizes (in / out, rounded) and the kernel as the
     * smallest window that yields that output without padding (1 when the size is kept, the
     * whole map for global pooling). Exact for unpadded windows with kernel == stride; a lower
     * bound for padded overlapping windows (e.g. a 3×3 stride-2 pad-1 max pool counts as 2×2).
     * Leaving the spatial domain (rank 4 to a lower rank: flatten, global pooling) covers the map.
     */
    ReceptiveField estimate(Shape in, Shape out) {
        return estimate(in, out, -1, -1);
    }

    /** As {@link #estimate(Shape, Shape)}, with a known kernel (e.g. a block's own weights). */
    ReceptiveField estimate(Shape in, Shape out, long knownKh, long knownKw) {
        if (!isSpatial(in)) {
            return this;
        }
        long inH = in.get(2);
        long inW = in.get(3);
        if (!isSpatial(out)) {
            return window(inH, inW, inH, inW, 1, 1);
        }
        long outH = out.get(2);
        long outW = out.get(3);
        return new ReceptiveField(
                axis(height, jumpHeight, inH, outH, knownKh),
                axis(width, jumpWidth, inW, outW, knownKw),
                jump(jumpHeight, inH, outH), jump(jumpWidth, inW, outW));
    }

    private static double axis(double r, double j, long in, long out, long knownKernel) {
        if (out > in) {
            return r; // upsampling: no new context
        }
        long stride = stride(in, out);
        long kernel = knownKernel > 0 ? knownKernel
                : out == 1 ? in : Math.max(1, in - (out - 1) * stride);
        return r + (kernel - 1) * j;
    }

    private static double jump(double j, long in, long out) {
        return out > in ? j * in / out : j * stride(in, out);
    }

    private static long stride(long in, long out) {
        return Math.max(1, Math.round((double) in / out));
    }

    /** True for NCHW shapes, the only ones with a spatial receptive field. */
    static boolean isSpatial(Shape shape) {
        return shape.dimension() == 4;
    }

    /** Larger of the two: the one that wins when branches merge (an upper bound). */
    static ReceptiveField max(ReceptiveField a, ReceptiveField b) {
        if (a == null) {
            return b;
        }
        if (b == null) {
            return a;
        }
        return new ReceptiveField(Math.max(a.height, b.height), Math.max(a.width, b.width),
                Math.max(a.jumpHeight, b.jumpHeight), Math.max(a.jumpWidth, b.jumpWidth));
    }

    long roundedHeight() {
        return Math.round(height);
    }

    long roundedWidth() {
        return Math.round(width);
    }
}
