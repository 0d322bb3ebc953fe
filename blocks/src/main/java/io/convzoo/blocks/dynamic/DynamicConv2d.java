package io.convzoo.blocks.dynamic;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;
import io.convzoo.blocks.Checks;
import io.convzoo.blocks.ConvMath;
import io.convzoo.blocks.ForwardArrays;
import io.convzoo.blocks.MacCounted;
import io.convzoo.blocks.TracedBlock;
import io.convzoo.blocks.infer.ConvBn;
import io.convzoo.blocks.script.ScriptWriter;
import io.convzoo.blocks.script.Scriptable;
import io.convzoo.blocks.TemperatureAnnealed;
import java.util.List;

/**
 * Dynamic convolution (Chen et al., "Dynamic Convolution: Attention over Convolution Kernels",
 * CVPR 2020), following the widely used PyTorch reproduction {@code Dynamic_conv2d}
 * (kaijieshi7/Dynamic-convolution-Pytorch): a bank of K kernels, shape
 * {@code (K, out, in/groups, k, k)} with an optional bias {@code (K, out)}, mixed per sample by the
 * {@link DynamicConvAttention} weights; the mixed kernels are applied to the whole batch by ONE
 * grouped convolution (the batch folded into the channel axis, {@code groups * N} groups), or, for a
 * 1×1 unpadded ungrouped conv, by ONE batched matmul.
 *
 * <p>Parameter names follow the official module: {@code weight}, {@code bias},
 * {@code attention.fc1.weight}, {@code attention.fc2.weight}, {@code attention.fc2.bias}.
 *
 * <p>Routing {@link Routing#SOFTMAX} is DyConv (weights sum to one, temperature annealed from 34
 * towards 1 during training); {@link Routing#SIGMOID} is CondConv-style routing with independent
 * per-kernel gates (default temperature 1, i.e. plain {@code sigmoid(z)}).
 */
public final class DynamicConv2d extends TracedBlock implements MacCounted, TemperatureAnnealed, Scriptable {

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

    /** Kernel elements per sample (out · in/g · k · k) from which a CPU batch convolves sample by sample. */
    static final long SAMPLE_BY_SAMPLE_MIN_KERNEL = 256L * 256 * 9;

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
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        NDArray x = inputs.head();
        Checks.requireNchw(description(), x, inChannels);
        NDArray att = attention.forward(ps, inputs, training, params).head(); // (N, K)
        NDArray weights = ps.getValue(weight, x.getDevice(), training);
        NDArray bank = ForwardArrays.derive(x, () -> weights.reshape(kernels, -1));
        NDArray biasBank = bias == null ? null : ps.getValue(bias, x.getDevice(), training);
        return new NDList(mixAndConvolve(x, att, bank, biasBank, null, training));
    }

    /**
     * Inference with a per-output-channel affine {@code y·scale + shift} (a folded BatchNorm) already
     * in the bank: {@code scaledBank = bank·scale} as (K, out·in/g·k·k), {@code scaledBiasBank =
     * bias·scale} as (K, out) or null, {@code shift} (out). Same attention, same single grouped conv.
     */
    public NDArray forwardFolded(ParameterStore ps, NDArray x, NDArray scaledBank, NDArray scaledBiasBank,
                                 NDArray shift, PairList<String, Object> params) {
        Checks.requireNchw(description(), x, inChannels);
        NDArray att = attention.forward(ps, new NDList(x), false, params).head();
        return mixAndConvolve(x, att, scaledBank, scaledBiasBank, shift, false);
    }

    /**
     * Mixes the bank per sample, then convolves: a batch of one with its own kernel (no reshapes of
     * the input: each is a native call, and DY-ResNet-50 has 52 dynamic convs); a larger batch as ONE
     * batched matmul for a pointwise conv, sample by sample for a large kernel in CPU inference, else as
     * ONE grouped conv with the batch folded into channels.
     */
    private NDArray mixAndConvolve(NDArray x, NDArray att, NDArray bank, NDArray biasBank, NDArray shift,
                                   boolean training) {
        Shape s = x.getShape();
        long n = s.get(0);
        // (N, K) x (K, out * in/g * k * k): one mixed kernel set per sample.
        NDArray mixed = att.matMul(bank);
        NDArray bias = biasBank == null ? null : att.matMul(biasBank); // (N, out)
        if (shift != null) {
            bias = bias == null ? shift : bias.add(shift); // (N, out), or (out) shared by all samples
        }
        boolean sharedBias = biasBank == null;
        if (n == 1) {
            return convolve(x, mixed, sharedBias || bias == null ? bias : bias.reshape(-1));
        }
        if (isPointwise()) {
            NDArray sampled = stride == 1 ? x : x.get(":, :, ::" + stride + ", ::" + stride);
            NDArray y = mixed.reshape(n, outChannels, inChannels).matMul(sampled.reshape(n, inChannels, -1));
            if (bias != null) {
                y = y.addi(bias.expandDims(-1));
            }
            return y.reshape(n, outChannels, outputLength(s.get(2)), outputLength(s.get(3)));
        }
        if (!training && convolvesSampleBySample(x.getDevice())) {
            NDList samples = new NDList((int) n);
            for (long b = 0; b < n; b++) {
                samples.add(convolve(x.get(b + ":" + (b + 1)), mixed.get(b), sharedBias || bias == null ? bias
                        : bias.get(b)));
            }
            return NDArrays.concat(samples, 0);
        }
        NDArray batchBias = bias == null ? null : sharedBias ? bias.tile(n) : bias.reshape(-1);
        // Fold the batch into channels: sample b only sees its own channel block via groups = N * groups.
        NDArray y = Conv2d.conv2d(x.reshape(1, n * inChannels, s.get(2), s.get(3)),
                mixed.reshape(n * outChannels, inChannels / groups, kernelSize, kernelSize), batchBias,
                new Shape(stride, stride), new Shape(padding, padding), new Shape(dilation, dilation),
                (int) (n * groups)).head();
        return y.reshape(n, outChannels, outputLength(s.get(2)), outputLength(s.get(3)));
    }

    /** One sample's conv with its mixed kernel set (out · in/g · k · k elements) and bias (out) or null. */
    private NDArray convolve(NDArray sample, NDArray kernel, NDArray bias) {
        return Conv2d.conv2d(sample, kernel.reshape(outChannels, inChannels / groups, kernelSize, kernelSize), bias,
                new Shape(stride, stride), new Shape(padding, padding), new Shape(dilation, dilation), groups).head();
    }

    /**
     * A 1×1, unpadded, ungrouped dynamic conv is a per-sample (out, in) matrix times the (in, H·W)
     * pixels: one batched matmul. libtorch's grouped conv with the batch as groups was up to 7× slower
     * at DY-ResNet-50's pointwise shapes at batch 8 (at batch 1 the plain conv is kept); in training
     * steps the matmul took 0.44–1.20× its time per shape, 0.67× summed. docs/benchmarks.md, session 7.
     */
    private boolean isPointwise() {
        return kernelSize == 1 && padding == 0 && groups == 1;
    }

    /**
     * In CPU inference, libtorch's grouped conv with the batch as groups runs a kernel set of 512×512
     * 3×3 channel pairs at about half the speed of one conv per sample, 256×256 at about the same speed
     * and smaller ones faster (batch 8, docs/benchmarks.md, session 7). Training steps keep the grouped
     * conv (one conv per sample took 1.2–1.9× its time, backward included), and so do GPUs.
     */
    private boolean convolvesSampleBySample(Device device) {
        return (long) outChannels * (inChannels / groups) * kernelSize * kernelSize >= SAMPLE_BY_SAMPLE_MIN_KERNEL
                && Device.Type.CPU.equals(device.getDeviceType());
    }

    @Override
    public List<String> emitScript(ScriptWriter w, List<String> inputs) {
        String x = w.share(inputs.get(0));
        String bank = w.let(w.constant(weight) + ".reshape([" + kernels + ", -1])");
        return List.of(emitMix(w, x, bank, bias == null ? null : w.constant(bias), null));
    }

    /** The script of {@link #forwardFolded} with the pair's folded arrays ({@link ConvBn.FoldedPair}). */
    public String emitFolded(ScriptWriter w, String x, ConvBn.FoldedPair folded) {
        w.share(x);
        List<NDArray> weights = folded.weights();
        return emitMix(w, x, w.constant(weights.get(0)), weights.size() > 1 ? w.constant(weights.get(1)) : null,
                w.constant(folded.biases().get(0)));
    }

    /**
     * The script of {@link #mixAndConvolve}, for any batch size: the batch-one conv when the batch is
     * one, else the same batched form as the Java forward.
     */
    private String emitMix(ScriptWriter w, String x, String bank, String biasBank, String shift) {
        String att = w.emit(attention, x);
        String n = w.let(x + ".size(0)");
        String mixed = w.let("torch.mm(" + att + ", " + bank + ")");
        String bias = biasBank == null ? null : w.let("torch.mm(" + att + ", " + biasBank + ")"); // (N, out)
        if (shift != null) {
            bias = bias == null ? shift : w.let("torch.add(" + bias + ", " + shift + ")");
        }
        boolean sharedBias = biasBank == null;
        String geometry = ScriptWriter.ints(stride, stride) + ", " + ScriptWriter.ints(padding, padding) + ", "
                + ScriptWriter.ints(dilation, dilation);
        String kernelShape = (inChannels / groups) + ", " + kernelSize + ", " + kernelSize;
        String oneSample = "torch.conv2d(" + x + ", " + mixed + ".reshape([" + outChannels + ", " + kernelShape
                + "]), " + (bias == null ? "None" : bias + ".reshape([-1])") + ", " + geometry + ", " + groups + ")";
        String batched;
        if (isPointwise()) {
            String outShape = outputShapeExpression(w, x, n);
            String sampled = stride == 1 ? x : x + "[:, :, ::" + stride + ", ::" + stride + "]";
            batched = "torch.bmm(" + mixed + ".reshape([" + n + ", " + outChannels + ", " + inChannels + "]), "
                    + sampled + ".reshape([" + n + ", " + inChannels + ", -1]))"
                    + (bias == null ? "" : ".add_(" + bias + ".unsqueeze(-1))") + ".reshape(" + outShape + ")";
        } else if (convolvesSampleBySample(w.device())) {
            String sampleBias = bias == null ? "None" : sharedBias ? bias : bias + "[i]";
            batched = "torch.cat([torch.conv2d(" + x + "[i:i + 1], " + mixed + "[i].reshape([" + outChannels + ", "
                    + kernelShape + "]), " + sampleBias + ", " + geometry + ", " + groups + ") for i in range(" + n
                    + ")])";
        } else {
            String outShape = outputShapeExpression(w, x, n);
            String batchBias = bias == null ? "None" : sharedBias ? bias + ".repeat([" + n + "])" : bias + ".reshape([-1])";
            batched = "torch.conv2d(torch.flatten(" + x + ", 0, 1).unsqueeze(0), " + mixed + ".reshape([-1, "
                    + kernelShape + "]), " + batchBias + ", " + geometry + ", " + n + " * " + groups + ").reshape("
                    + outShape + ")";
        }
        return w.let(oneSample + " if " + n + " == 1 else " + batched);
    }

    /** The batched output's shape as a TorchScript int list (only the forms that reshape to it write it). */
    private String outputShapeExpression(ScriptWriter w, String x, String n) {
        return "[" + n + ", " + outChannels + ", " + w.let(outputLengthExpression(x + ".size(2)")) + ", "
                + w.let(outputLengthExpression(x + ".size(3)")) + "]";
    }

    /** TorchScript integer expression of {@link #outputLength} for an input length expression. */
    private String outputLengthExpression(String length) {
        return "(" + length + " + " + (2 * padding - dilation * (kernelSize - 1) - 1) + ") // " + stride + " + 1";
    }

    @Override
    protected Shape[] trace(Shape[] inputShapes, ChildVisitor visitor) {
        requireInput(inputShapes);
        Shape in = inputShapes[0];
        visit(visitor, "attention", attention, in);
        return new Shape[] {new Shape(in.get(0), outChannels, outputLength(in.get(2)), outputLength(in.get(3)))};
    }

    /** MACs of the mixed grouped conv for the whole batch: N × out × OH × OW × (in/groups) × k × k. */
    @Override
    public long ownMacs(Shape[] inputShapes) {
        requireInput(inputShapes);
        Shape in = inputShapes[0];
        return in.get(0) * ConvMath.convMacs(inChannels, outChannels, kernelSize, kernelSize, groups,
                outputLength(in.get(2)), outputLength(in.get(3)));
    }

    /** Kernel mixing for the whole batch: N × K × (elements of one kernel set, plus its bias). */
    @Override
    public long auxiliaryMacs(Shape[] inputShapes) {
        requireInput(inputShapes);
        long perKernel = ConvMath.convParams(inChannels, outChannels, kernelSize, kernelSize, groups, hasBias);
        return inputShapes[0].get(0) * kernels * perKernel;
    }

    private void requireInput(Shape[] inputShapes) {
        Checks.require(inputShapes.length == 1, description(), "expected one input of shape (N, C="
                + inChannels + ", H, W), got " + inputShapes.length + " inputs");
        Checks.requireNchw(description(), inputShapes[0], inChannels);
        outputLength(inputShapes[0].get(2));
        outputLength(inputShapes[0].get(3));
    }

    private long outputLength(long input) {
        try {
            return ConvMath.outputSize(input, kernelSize, stride, padding, dilation);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(description() + ": expected an input of shape (N, C="
                    + inChannels + ", H, W) with H, W large enough for the kernel; " + e.getMessage(), e);
        }
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
