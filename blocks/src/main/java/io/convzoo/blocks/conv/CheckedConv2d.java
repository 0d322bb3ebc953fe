package io.convzoo.blocks.conv;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.convzoo.blocks.Checks;
import io.convzoo.blocks.ConvMath;

/**
 * A DJL {@link Conv2d} (same parameters "weight"/"bias", same engine op) that validates its input
 * before it reaches the engine: rank 4, the declared input channel count, channels divisible by
 * the groups, and a spatial size at least as large as the dilated kernel. Violations become an
 * {@link IllegalArgumentException} naming the block and the expected shape, in shape inference,
 * initialization and forward alike.
 */
public class CheckedConv2d extends Conv2d {

    private final String blockName;
    private final int inChannels;

    /**
     * @param blockName name used in error messages
     * @param inChannels expected input channels, or 0 to accept any count divisible by the groups
     */
    protected CheckedConv2d(String blockName, int inChannels, Builder builder) {
        super(builder);
        this.blockName = blockName;
        this.inChannels = inChannels;
    }

    /**
     * A square conv. {@code inChannels} may be 0 (inferred from the first input, as plain DJL does);
     * otherwise it and {@code outChannels} must be divisible by {@code groups}.
     */
    public static CheckedConv2d create(String blockName, int inChannels, int outChannels, int kernel, int stride,
                                       int padding, int dilation, int groups, boolean bias) {
        Checks.require(inChannels >= 0 && outChannels >= 1, blockName,
                "channels must be positive, got in=" + inChannels + " out=" + outChannels);
        Checks.require(kernel >= 1 && stride >= 1 && dilation >= 1 && padding >= 0 && groups >= 1, blockName,
                "kernel, stride, dilation and groups must be >= 1 and padding >= 0, got k=" + kernel
                        + " s=" + stride + " p=" + padding + " d=" + dilation + " groups=" + groups);
        if (inChannels > 0) {
            Checks.requireDivisible(blockName, "in_channels", inChannels, "groups", groups);
        }
        Checks.requireDivisible(blockName, "out_channels", outChannels, "groups", groups);
        Builder builder = Conv2d.builder()
                .setFilters(outChannels)
                .setKernelShape(new Shape(kernel, kernel))
                .optStride(new Shape(stride, stride))
                .optPadding(new Shape(padding, padding))
                .optDilation(new Shape(dilation, dilation))
                .optGroups(groups)
                .optBias(bias);
        return new CheckedConv2d(blockName, inChannels, builder);
    }

    /** The name used in error messages. */
    public String getBlockName() {
        return blockName;
    }

    /** Declared input channels, 0 when inferred from the input. */
    public int getInChannels() {
        return inChannels;
    }

    /** Validates one input shape and returns the output shape. */
    public Shape checkedOutputShape(Shape input) {
        Checks.requireNchw(blockName, input, expectedInChannels());
        if (input.get(1) % groups != 0) {
            throw new IllegalArgumentException(blockName + ": expected an input of shape (N, C, H, W) with C"
                    + " divisible by groups=" + groups + ", got " + input);
        }
        long h = spatial(input, 2);
        long w = spatial(input, 3);
        return new Shape(input.get(0), filters, h, w);
    }

    /** Declared channels, or once initialized those the weight was made for, or 0 (any). */
    private long expectedInChannels() {
        if (inChannels > 0) {
            return inChannels;
        }
        return weight.isInitialized() ? weight.getArray().getShape().get(1) * groups : 0;
    }

    private long spatial(Shape input, int axis) {
        int k = (int) kernelShape.get(axis - 2);
        int s = (int) stride.get(axis - 2);
        int p = (int) padding.get(axis - 2);
        int d = (int) dilation.get(axis - 2);
        try {
            return ConvMath.outputSize(input.get(axis), k, s, p, d);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(blockName + ": input " + input + " is too small for a "
                    + k + "x" + k + " kernel with dilation " + d + " and padding " + p
                    + " (needs H, W >= " + (ConvMath.receptiveField(k, d) - 2L * p) + ")", e);
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {checkedOutputShape(inputShapes[0])};
    }

    @Override
    protected void prepare(Shape[] inputShapes) {
        checkedOutputShape(inputShapes[0]);
        super.prepare(inputShapes);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        checkedOutputShape(inputs.singletonOrThrow().getShape());
        return super.forwardInternal(ps, inputs, training, params);
    }
}
