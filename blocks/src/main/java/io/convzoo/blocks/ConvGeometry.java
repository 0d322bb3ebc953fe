package io.convzoo.blocks;

import ai.djl.ndarray.types.Shape;

/**
 * Stride, padding, dilation and groups of a square 2-D convolution.
 *
 * @param stride stride on both axes
 * @param padding zero padding on both axes
 * @param dilation dilation on both axes
 * @param groups groups
 */
public record ConvGeometry(int stride, int padding, int dilation, int groups) {

    public ConvGeometry {
        if (stride < 1 || padding < 0 || dilation < 1 || groups < 1) {
            throw new IllegalArgumentException("conv geometry: stride, dilation and groups must be >= 1 and padding >= 0,"
                    + " got s=" + stride + " p=" + padding + " d=" + dilation + " g=" + groups);
        }
    }

    public Shape strideShape() {
        return new Shape(stride, stride);
    }

    public Shape paddingShape() {
        return new Shape(padding, padding);
    }

    public Shape dilationShape() {
        return new Shape(dilation, dilation);
    }

    /** Output shape of an (N, C, H, W) input under a weight (out, in/g, kh, kw). */
    public Shape outputShape(Shape input, Shape weight) {
        return new Shape(input.get(0), weight.get(0),
                ConvMath.outputSize(input.get(2), weight.get(2), stride, padding, dilation),
                ConvMath.outputSize(input.get(3), weight.get(3), stride, padding, dilation));
    }
}
