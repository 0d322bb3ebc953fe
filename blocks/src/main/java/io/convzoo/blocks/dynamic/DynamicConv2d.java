package io.convzoo.blocks.dynamic;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.Initializer;
import io.convzoo.blocks.Checks;
import io.convzoo.blocks.DataflowBlock;
import io.convzoo.blocks.MacCounted;
import io.convzoo.blocks.MixtureConv;
import io.convzoo.blocks.Ops;
import io.convzoo.blocks.TemperatureAnnealed;
import java.util.List;

/**
 * Dynamic convolution (Chen et al., "Dynamic Convolution: Attention over Convolution Kernels",
 * CVPR 2020), following the widely used PyTorch reproduction {@code Dynamic_conv2d}
 * (kaijieshi7/Dynamic-convolution-Pytorch): a bank of K kernels, shape
 * {@code (K, out, in/groups, k, k)} with an optional bias {@code (K, out)}, mixed per sample by the
 * {@link DynamicConvAttention} weights ({@link Ops#mixtureConv}; how a batch is computed is
 * {@link MixtureConv#batchForm}'s rule).
 *
 * <p>Parameter names follow the official module: {@code weight}, {@code bias},
 * {@code attention.fc1.weight}, {@code attention.fc2.weight}, {@code attention.fc2.bias}.
 *
 * <p>Routing {@link Routing#SOFTMAX} is DyConv (weights sum to one, temperature annealed from 34
 * towards 1 during training); {@link Routing#SIGMOID} is CondConv-style routing with independent
 * per-kernel gates (default temperature 1, i.e. plain {@code sigmoid(z)}).
 */
public final class DynamicConv2d extends DataflowBlock implements MacCounted, TemperatureAnnealed {

    /** How the attention logits become kernel weights. */
    public enum Routing {
        /** DyConv: {@code softmax(z / T)}, the K weights sum to one. */
        SOFTMAX,
        /** CondConv: {@code sigmoid(z / T)} per kernel, independent gates. */
        SIGMOID
    }

    /** The official initial temperature of the softmax. */
    public static final float OFFICIAL_INITIAL_TEMPERATURE = 34f;

    private static final String NAME = "DynamicConv2d";

    private final int inChannels;
    private final int outChannels;
    private final int kernelSize;
    private final int stride;
    private final int padding;
    private final int dilation;
    private final int groups;
    private final int kernels;
    private final boolean hasBias;
    private final DynamicConvAttention attention;
    private final Parameter weight;
    private final Parameter bias;
    private final MixtureConv spec;

    private DynamicConv2d(Builder b) {
        Checks.require(b.inChannels > 0 && b.outChannels > 0, NAME,
                "inChannels and outChannels must be set and positive, got " + b.inChannels + " -> " + b.outChannels);
        Checks.require(b.kernelSize > 0 && b.stride > 0 && b.dilation > 0 && b.padding >= 0, NAME,
                "kernel, stride and dilation must be >= 1 and padding >= 0");
        Checks.require(b.kernels > 0, NAME, "number of kernels K must be >= 1, got " + b.kernels);
        Checks.require(b.ratio > 0, NAME, "attention ratio must be positive, got " + b.ratio);
        Checks.requireDivisible(NAME, "inChannels", b.inChannels, "groups", b.groups);
        Checks.requireDivisible(NAME, "outChannels", b.outChannels, "groups", b.groups);
        inChannels = b.inChannels;
        outChannels = b.outChannels;
        kernelSize = b.kernelSize;
        stride = b.stride;
        padding = b.padding;
        dilation = b.dilation;
        groups = b.groups;
        kernels = b.kernels;
        hasBias = b.bias;
        float temperature = b.temperature != null ? b.temperature
                : b.routing == Routing.SOFTMAX ? OFFICIAL_INITIAL_TEMPERATURE : 1f;
        attention = addChildBlock("attention",
                new DynamicConvAttention(inChannels, b.ratio, kernels, temperature, b.routing));
        // Official init: kaiming_uniform_ on each kernel of the bank separately, i.e. bound
        // sqrt(6 / fan_in) with fan_in = (in / groups) * k * k (not the bank's first two axes).
        long fanIn = (long) (inChannels / groups) * kernelSize * kernelSize;
        float bound = (float) Math.sqrt(6.0 / fanIn);
        Initializer kaimingUniform = (manager, shape, dataType) -> manager.randomUniform(-bound, bound, shape, dataType);
        weight = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.WEIGHT)
                .optInitializer(kaimingUniform).build());
        bias = hasBias
                ? addParameter(Parameter.builder().setName("bias").setType(Parameter.Type.BIAS).build())
                : null;
        spec = new MixtureConv(inChannels, outChannels, kernelSize, stride, padding, dilation, groups, kernels);
    }

    /** A builder; inChannels, outChannels and kernelSize are required (the attention width depends on inChannels). */
    public static Builder builder() {
        return new Builder();
    }

    /** The attention child (fc1, fc2). */
    public DynamicConvAttention getAttention() {
        return attention;
    }

    /** Input channels. */
    public int getInChannels() {
        return inChannels;
    }

    /** Output channels. */
    public int getOutChannels() {
        return outChannels;
    }

    /** Number of kernels K in the bank. */
    public int getKernels() {
        return kernels;
    }

    /** Current temperature of the attention. */
    public float getTemperature() {
        return attention.getTemperature();
    }

    /** Sets the attention temperature (positive); used for annealing during training. */
    @Override
    public void setTemperature(float temperature) {
        attention.setTemperature(temperature);
    }

    /**
     * The official annealing step ({@code update_temperature}): lowers the temperature by 3, not
     * below 1 (34, 31, ..., 4, 1). Returns the new temperature.
     */
    public float updateTemperature() {
        float t = attention.getTemperature();
        if (t > 1f) {
            attention.setTemperature(Math.max(1f, t - 3f));
        }
        return attention.getTemperature();
    }

    /**
     * Linear annealing as in the paper (temperature from {@code start} to {@code end} over the
     * first {@code annealEpochs} epochs, then {@code end}).
     */
    public static float linearAnneal(float start, float end, int epoch, int annealEpochs) {
        return TemperatureAnnealed.linear(start, end, epoch, annealEpochs);
    }

    /** Sets the temperature of every {@link DynamicConv2d} under {@code root} (root included); returns how many. */
    public static int setTemperatureEverywhere(Block root, float temperature) {
        List<DynamicConv2d> all = findAllIn(root);
        all.forEach(dc -> dc.setTemperature(temperature));
        return all.size();
    }

    /** Applies {@link #updateTemperature()} to every {@link DynamicConv2d} under {@code root}; returns how many. */
    public static int updateTemperatureEverywhere(Block root) {
        List<DynamicConv2d> all = findAllIn(root);
        all.forEach(DynamicConv2d::updateTemperature);
        return all.size();
    }

    private static List<DynamicConv2d> findAllIn(Block root) {
        return TemperatureAnnealed.findAll(root).stream()
                .filter(DynamicConv2d.class::isInstance).map(DynamicConv2d.class::cast).toList();
    }

    @Override
    protected void prepare(Shape[] inputShapes) {
        requireInput(inputShapes);
        weight.setShape(new Shape(kernels, outChannels, inChannels / groups, kernelSize, kernelSize));
        if (bias != null) {
            bias.setShape(new Shape(kernels, outChannels));
        }
    }

    @Override
    protected <T> T forward(Ops<T> ops, T x) {
        ops.require(x, s -> requireInput(new Shape[] {s}));
        T shared = ops.share(x);
        return ops.mixtureConv(shared, ops.child(attention, shared), weight, bias, spec);
    }

    /** MACs of the mixed grouped conv for the whole batch ({@link MixtureConv#convMacs}). */
    @Override
    public long ownMacs(Shape[] inputShapes) {
        requireInput(inputShapes);
        return spec.convMacs(inputShapes[0]);
    }

    /** Kernel mixing for the whole batch ({@link MixtureConv#mixingMacs}). */
    @Override
    public long auxiliaryMacs(Shape[] inputShapes) {
        requireInput(inputShapes);
        return spec.mixingMacs(inputShapes[0].get(0), hasBias);
    }

    private void requireInput(Shape[] inputShapes) {
        Checks.require(inputShapes.length == 1, description(), "expected one input of shape (N, C="
                + inChannels + ", H, W), got " + inputShapes.length + " inputs");
        spec.requireInput(description(), inputShapes[0]);
    }

    private String description() {
        return NAME + "(" + inChannels + "->" + outChannels + ", k=" + kernelSize + ", K=" + kernels + ")";
    }

    @Override
    public String toString() {
        return NAME + "(" + inChannels + " -> " + outChannels + ", k=" + kernelSize + ", s=" + stride
                + ", p=" + padding + ", d=" + dilation + ", g=" + groups + ", K=" + kernels
                + ", bias=" + hasBias + ", " + attention + ")";
    }

    /** Builder; defaults as the official {@code Dynamic_conv2d}: stride 1, padding 0, dilation 1,
     *  groups 1, bias on, K = 4, ratio 0.25, softmax routing, temperature 34. */
    public static final class Builder {
        private int inChannels;
        private int outChannels;
        private int kernelSize;
        private int stride = 1;
        private int padding;
        private int dilation = 1;
        private int groups = 1;
        private boolean bias = true;
        private int kernels = 4;
        private double ratio = 0.25;
        private Float temperature;
        private Routing routing = Routing.SOFTMAX;

        private Builder() {}

        public Builder setInChannels(int inChannels) {
            this.inChannels = inChannels;
            return this;
        }

        public Builder setOutChannels(int outChannels) {
            this.outChannels = outChannels;
            return this;
        }

        /** Square kernel side. */
        public Builder setKernelSize(int kernelSize) {
            this.kernelSize = kernelSize;
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

        /** Number of kernels K in the bank (official default 4). */
        public Builder optKernels(int kernels) {
            this.kernels = kernels;
            return this;
        }

        /** Attention hidden ratio (official default 0.25; hidden = int(in * ratio) + 1). */
        public Builder optRatio(double ratio) {
            this.ratio = ratio;
            return this;
        }

        /** Initial temperature (default 34 for softmax routing, 1 for sigmoid routing). */
        public Builder optTemperature(float temperature) {
            this.temperature = temperature;
            return this;
        }

        public Builder optRouting(Routing routing) {
            this.routing = routing;
            return this;
        }

        public DynamicConv2d build() {
            return new DynamicConv2d(this);
        }
    }
}
