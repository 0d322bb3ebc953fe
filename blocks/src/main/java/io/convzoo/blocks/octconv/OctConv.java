package io.convzoo.blocks.octconv;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import io.convzoo.blocks.Checks;
import io.convzoo.blocks.ConvMath;
import io.convzoo.blocks.DataflowBlock;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.Ops;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Octave convolution (Chen et al., "Drop an Octave", ICCV 2019), as the official
 * {@code OctaveConv} of d-li14/octconv.pytorch.
 *
 * <p>Feature maps are split into a high-frequency part at full resolution and a low-frequency part
 * at half resolution. With {@code lowIn = (int) (alphaIn * inChannels)} and
 * {@code lowOut = (int) (alphaOut * outChannels)} (the official integer truncation), the four
 * child convolutions are {@code conv_l2l}, {@code conv_l2h}, {@code conv_h2l} and
 * {@code conv_h2h} (registered in that order, as officially); a path is absent when its input or
 * output part is empty. All convs run at stride 1; {@code stride = 2} is a 2×2 average pooling of
 * the inputs instead. High→low goes through 2×2 average pooling, low→high through nearest ×2
 * upsampling (only at stride 1: at stride 2 the low input already has the new high resolution).
 * {@code conv_l2l} has {@code ceil(alphaIn * groups)} groups, {@code conv_h2h}
 * {@code ceil(groups - alphaIn * groups)}, the cross paths {@code groups}. When
 * {@code groups == inChannels} (depthwise) there are no cross paths, as officially.
 *
 * <p><b>Input/output convention.</b> The official code passes {@code (high, low)} tuples with
 * {@code None} for a missing part; here a block reads an {@link NDList} of two arrays
 * {@code (high, low)} when {@code alphaIn > 0} and of one array {@code (high)} when
 * {@code alphaIn = 0} ("first"), and returns two arrays when {@code alphaOut > 0} and one when
 * {@code alphaOut = 0} ("last"). Any other number of arrays is an
 * {@link IllegalArgumentException}.
 *
 * <p><b>Spatial sizes.</b> Every (high, low) pair, in and out, must have the high part exactly
 * twice as large as the low part in H and W, so the summed paths always line up. Average pooling
 * floors odd sizes as PyTorch does; where that would break the pair rule (e.g. "first" on an odd
 * size) the block throws an {@link IllegalArgumentException} naming itself, the shapes and the
 * reason, before anything reaches the engine.
 */
public class OctConv extends DataflowBlock {

    private final int inChannels;
    private final int outChannels;
    private final int kernel;
    private final double alphaIn;
    private final double alphaOut;
    private final int stride;
    private final int padding;
    private final int dilation;
    private final int groups;
    private final boolean bias;
    private final boolean depthwise;
    private final int lowIn;
    private final int highIn;
    private final int lowOut;
    private final int highOut;
    private final String name;

    private final Conv2d convL2l;
    private final Conv2d convL2h;
    private final Conv2d convH2l;
    private final Conv2d convH2h;
    /** Input shapes of the last forward that passed validation (validating every forward cost ~20% of the Java time). */
    private volatile Shape[] validatedInputShapes;

    protected OctConv(Builder b) {
        this.inChannels = b.inChannels;
        this.outChannels = b.outChannels;
        this.kernel = b.kernel;
        this.alphaIn = b.alphaIn;
        this.alphaOut = b.alphaOut;
        this.stride = b.stride;
        this.padding = b.padding;
        this.dilation = b.dilation;
        this.groups = b.groups;
        this.bias = b.bias;
        this.depthwise = groups == inChannels;
        this.lowIn = (int) (alphaIn * inChannels);
        this.highIn = inChannels - lowIn;
        this.lowOut = (int) (alphaOut * outChannels);
        this.highOut = outChannels - lowOut;
        this.name = String.format(Locale.ROOT, "OctConv(%d->%d, k%d, s%d, alpha %s->%s)", inChannels, outChannels,
                kernel, stride, fmt(alphaIn), fmt(alphaOut));
        validateConfiguration();

        int groupsLow = (int) Math.ceil(alphaIn * groups);
        int groupsHigh = (int) Math.ceil(groups - alphaIn * groups);
        convL2l = hasLowIn() && hasLowOut() ? conv(lowOut, groupsLow) : null;
        convL2h = hasLowIn() && !depthwise ? conv(highOut, groups) : null;
        convH2l = hasLowOut() && !depthwise ? conv(lowOut, groups) : null;
        convH2h = conv(highOut, groupsHigh);
        if (convL2l != null) {
            addChildBlock("conv_l2l", convL2l);
        }
        if (convL2h != null) {
            addChildBlock("conv_l2h", convL2h);
        }
        if (convH2l != null) {
            addChildBlock("conv_h2l", convH2l);
        }
        addChildBlock("conv_h2h", convH2h);
    }

    private static String fmt(double a) {
        return a == Math.rint(a) ? Long.toString((long) a) : Double.toString(a);
    }

    private Conv2d conv(int out, int g) {
        return Layers.conv(out, kernel, 1, padding, dilation, g, bias);
    }

    private void validateConfiguration() {
        Checks.require(inChannels >= 1 && outChannels >= 1, name, "channels must be >= 1");
        Checks.require(alphaIn >= 0 && alphaIn < 1 && alphaOut >= 0 && alphaOut < 1, name,
                "alphaIn and alphaOut must lie in [0, 1)");
        Checks.require(stride == 1 || stride == 2, name, "stride must be 1 or 2, got " + stride);
        Checks.require(kernel >= 1 && padding >= 0 && dilation >= 1 && groups >= 1, name,
                "kernel, dilation and groups must be >= 1 and padding >= 0");
        Checks.require(alphaIn == 0 || lowIn >= 1, name, "alphaIn=" + alphaIn + " of " + inChannels
                + " input channels leaves no low-frequency channel (int(alpha*C) = 0)");
        Checks.require(alphaOut == 0 || lowOut >= 1, name, "alphaOut=" + alphaOut + " of " + outChannels
                + " output channels leaves no low-frequency channel (int(alpha*C) = 0)");
        if (depthwise) {
            // The official code drops a part when a depthwise OctConv changes alpha; only equal
            // alphas (as in the official Oct-MobileNet) give a well-defined pair.
            Checks.require(alphaIn == alphaOut, name, "a depthwise OctConv (groups == inChannels) needs alphaIn == alphaOut");
        }
        int groupsLow = (int) Math.ceil(alphaIn * groups);
        int groupsHigh = (int) Math.ceil(groups - alphaIn * groups);
        Checks.requireDivisible(name, "high input channels", highIn, "conv_h2h groups", groupsHigh);
        Checks.requireDivisible(name, "high output channels", highOut, "conv_h2h groups", groupsHigh);
        if (hasLowIn() && hasLowOut()) {
            Checks.requireDivisible(name, "low input channels", lowIn, "conv_l2l groups", groupsLow);
            Checks.requireDivisible(name, "low output channels", lowOut, "conv_l2l groups", groupsLow);
        }
        if (!depthwise) {
            if (hasLowIn()) {
                Checks.requireDivisible(name, "low input channels", lowIn, "conv_l2h groups", groups);
                Checks.requireDivisible(name, "high output channels", highOut, "conv_l2h groups", groups);
            }
            if (hasLowOut()) {
                Checks.requireDivisible(name, "high input channels", highIn, "conv_h2l groups", groups);
                Checks.requireDivisible(name, "low output channels", lowOut, "conv_h2l groups", groups);
            }
        }
    }

    /** A builder; kernel size and channels are required, the rest defaults as officially. */
    public static Builder builder() {
        return new Builder();
    }

    /** True when the block reads a low-frequency input ({@code alphaIn > 0}). */
    public boolean hasLowIn() {
        return lowIn > 0;
    }

    /** True when the block produces a low-frequency output ({@code alphaOut > 0}). */
    public boolean hasLowOut() {
        return lowOut > 0;
    }

    /** Number of arrays the block reads: 2 when {@code alphaIn > 0}, else 1. */
    public int inputArity() {
        return hasLowIn() ? 2 : 1;
    }

    /** Number of arrays the block returns: 2 when {@code alphaOut > 0}, else 1. */
    public int outputArity() {
        return hasLowOut() ? 2 : 1;
    }

    public int getLowInChannels() {
        return lowIn;
    }

    public int getHighInChannels() {
        return highIn;
    }

    public int getLowOutChannels() {
        return lowOut;
    }

    public int getHighOutChannels() {
        return highOut;
    }

    public int getStride() {
        return stride;
    }

    /** The low→low conv, or null when absent. */
    public Conv2d getConvL2l() {
        return convL2l;
    }

    /** The low→high conv, or null when absent. */
    public Conv2d getConvL2h() {
        return convL2h;
    }

    /** The high→low conv, or null when absent. */
    public Conv2d getConvH2l() {
        return convH2l;
    }

    /** The high→high conv (always present). */
    public Conv2d getConvH2h() {
        return convH2h;
    }

    /** The block's description used in error messages. */
    public String getName() {
        return name;
    }

    /**
     * The paths: high→high, high→low through a 2×2 average pool, low→low, low→high added through nearest
     * ×2 upsampling (at stride 1); at stride 2 the inputs are pooled first. Every path's conv runs at
     * stride 1.
     */
    @Override
    public <T> List<T> forward(Ops<T> ops, List<T> inputs) {
        requireArity(inputs.size());
        Shape[] shapes = new Shape[inputs.size()];
        boolean known = true;
        for (int i = 0; i < shapes.length; i++) {
            shapes[i] = ops.shapeOf(inputs.get(i));
            known &= shapes[i] != null;
        }
        if (known && !Arrays.equals(shapes, validatedInputShapes)) {
            validate(shapes);
            validatedInputShapes = shapes;
        }
        T xh = ops.share(inputs.get(0));
        T xl = hasLowIn() ? ops.share(inputs.get(1)) : null;
        if (stride == 2) {
            xh = ops.share(pool(ops, xh));
        }
        T high = ops.child(convH2h, xh);
        T low = convH2l != null ? ops.child(convH2l, pool(ops, xh)) : null;
        if (xl != null) {
            T l2l = convL2l == null ? null : ops.child(convL2l, stride == 2 ? pool(ops, xl) : xl);
            if (convL2h != null) {
                T l2h = ops.child(convL2h, xl);
                high = stride == 1 ? ops.addUpsampled(high, l2h) : ops.add(high, l2h);
            }
            low = low == null ? l2l : l2l == null ? low : ops.add(low, l2l);
        }
        return hasLowOut() ? List.of(high, low) : List.of(high);
    }

    /** 2×2 average pooling, stride 2, floor mode (PyTorch's AvgPool2d(2, 2)). */
    private static <T> T pool(Ops<T> ops, T x) {
        return ops.avgPool2d(x, 2, 2, 0, false, true);
    }

    private void requireArity(int count) {
        String expected = hasLowIn()
                ? "(high (N, " + highIn + ", H, W), low (N, " + lowIn + ", H/2, W/2))"
                : "(high (N, " + highIn + ", H, W)) only";
        Checks.require(count == inputArity(), name, "expected " + inputArity() + " input array(s) "
                + expected + ", got " + count + (count == 1 && hasLowIn()
                        ? " (the low-frequency part is missing; alphaIn > 0 needs a (high, low) pair)" : ""));
    }

    /** Ranks, channels and spatial sizes of the inputs, and that every summed path lines up. */
    private void validate(Shape[] inputShapes) {
        Shape xh = inputShapes[0];
        Checks.requireNchw(name + " high input", xh, highIn);
        Shape xl = null;
        if (hasLowIn()) {
            xl = inputShapes[1];
            Checks.requireNchw(name + " low input", xl, lowIn);
            requirePair("input", xh, xl);
            Checks.require(xh.get(0) == xl.get(0), name, "high and low inputs differ in batch size: " + xh + " vs " + xl);
        }
        if (stride == 2) {
            xh = pooled("high input (stride 2)", xh);
        }
        Shape high = pathOutput("conv_h2h", xh, highOut);
        Shape low = null;
        if (convH2l != null) {
            low = pathOutput("conv_h2l", pooled("high input (high->low)", xh), lowOut);
        }
        if (xl != null) {
            if (convL2l != null) {
                Shape l2l = pathOutput("conv_l2l", stride == 2 ? pooled("low input (stride 2)", xl) : xl, lowOut);
                if (low != null) {
                    requireSame("conv_h2l output", low, "conv_l2l output", l2l);
                }
                low = l2l;
            }
            if (convL2h != null) {
                Shape l2h = pathOutput("conv_l2h", xl, highOut);
                if (stride == 1) {
                    l2h = new Shape(l2h.get(0), l2h.get(1), 2 * l2h.get(2), 2 * l2h.get(3));
                }
                requireSame("conv_h2h output", high, stride == 1 ? "upsampled conv_l2h output" : "conv_l2h output", l2h);
            }
        }
        if (hasLowOut()) {
            requirePair("output", high, low);
        }
    }

    /** The output shape of a path's conv (stride 1) on {@code in}. */
    private Shape pathOutput(String conv, Shape in, int channels) {
        try {
            return new Shape(in.get(0), channels, ConvMath.outputSize(in.get(2), kernel, 1, padding, dilation),
                    ConvMath.outputSize(in.get(3), kernel, 1, padding, dilation));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": " + conv + " input " + in + " is too small for kernel "
                    + kernel + " (padding " + padding + ", dilation " + dilation + ")", e);
        }
    }

    private Shape pooled(String what, Shape s) {
        Checks.require(s.get(2) >= 2 && s.get(3) >= 2, name, what + " " + s
                + " is smaller than the 2x2 average pooling window");
        return new Shape(s.get(0), s.get(1), s.get(2) / 2, s.get(3) / 2);
    }

    private void requirePair(String what, Shape high, Shape low) {
        if (high.get(2) != 2 * low.get(2) || high.get(3) != 2 * low.get(3)) {
            throw new IllegalArgumentException(name + ": the " + what + " pair needs the high part (N, C, H, W) "
                    + "exactly twice the low part (N, C, H/2, W/2) in H and W, got high " + high + " and low " + low
                    + (what.equals("output") ? " (odd spatial size: a 2x2 average pooling floored it; use even H and W)" : ""));
        }
    }

    private void requireSame(String a, Shape sa, String b, Shape sb) {
        if (!sa.equals(sb)) {
            throw new IllegalArgumentException(name + ": " + a + " " + sa + " and " + b + " " + sb
                    + " must have the same shape to be summed (odd spatial size, or padding that does not keep the size)");
        }
    }

    @Override
    public String toString() {
        return name;
    }

    /** Builder for {@link OctConv}, with the official defaults (alpha 0.5/0.5, stride 1, no bias). */
    public static final class Builder {
        private int inChannels = -1;
        private int outChannels = -1;
        private int kernel = -1;
        private double alphaIn = 0.5;
        private double alphaOut = 0.5;
        private int stride = 1;
        private int padding = 0;
        private int dilation = 1;
        private int groups = 1;
        private boolean bias;

        private Builder() {}

        public Builder setChannels(int in, int out) {
            this.inChannels = in;
            this.outChannels = out;
            return this;
        }

        public Builder setKernel(int kernel) {
            this.kernel = kernel;
            return this;
        }

        public Builder optAlpha(double in, double out) {
            this.alphaIn = in;
            this.alphaOut = out;
            return this;
        }

        public Builder optStride(int stride) {
            this.stride = stride;
            return this;
        }

        public Builder optPadding(int padding) {
            this.padding = padding;
            return this;
        }

        public Builder optDilation(int dilation) {
            this.dilation = dilation;
            return this;
        }

        public Builder optGroups(int groups) {
            this.groups = groups;
            return this;
        }

        public Builder optBias(boolean bias) {
            this.bias = bias;
            return this;
        }

        public OctConv build() {
            if (inChannels < 1 || outChannels < 1 || kernel < 1) {
                throw new IllegalArgumentException("OctConv: setChannels(in, out) and setKernel(k) are required, got in="
                        + inChannels + " out=" + outChannels + " kernel=" + kernel);
            }
            return new OctConv(this);
        }
    }
}
