package io.convzoo.blocks.script;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import io.convzoo.blocks.ChannelSelection;
import io.convzoo.blocks.ConvBnFolding;
import io.convzoo.blocks.ConvGeometry;
import io.convzoo.blocks.DerivedWeight;
import io.convzoo.blocks.MixtureConv;
import io.convzoo.blocks.Ops;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The interpreter that writes a block's eval forward as TorchScript ({@link ScriptWriter}): values are
 * the script's variables, constants are the model's arrays. A {@link Ops#convBn} pair that the last
 * eval forward ran folded is written with the very folded arrays it used, so the script computes what
 * the prepared forward computes. Data-dependent choices the eager forward makes per input (a batch of
 * one, a channels-last layout) become branches of the script.
 */
public final class ScriptOps implements Ops<String> {

    private final ScriptWriter w;
    private final ConvBnFolding.Active folded = new ConvBnFolding.Active();

    ScriptOps(ScriptWriter writer) {
        this.w = writer;
    }

    /** Writes {@code root}'s eval forward of the input variable {@code x} into {@code writer}; returns its outputs. */
    public static List<String> write(ScriptWriter writer, Block root, String x) {
        return new ScriptOps(writer).child(root, List.of(x));
    }

    // ------------------------------------------------------------------ structure

    @Override
    public List<String> child(Block child, List<String> inputs) {
        List<String> contained = Ops.throughContainer(this, child, inputs);
        if (contained != null) {
            return contained;
        }
        String x = Ops.single(child, inputs);
        if (child instanceof Conv2d conv) {
            return List.of(conv(conv, x));
        }
        if (child instanceof BatchNorm bn) {
            return List.of(w.batchNorm(bn, x));
        }
        if (child instanceof Linear linear) {
            Parameter bias = linear.getParameters().contains("bias") ? linear.getParameters().get("bias") : null;
            return List.of(w.let("torch.linear(" + x + ", " + w.constant(linear.getParameters().get("weight")) + ", "
                    + (bias == null ? "None" : w.constant(bias)) + ")"));
        }
        throw new UnsupportedOperationException("no TorchScript form for " + child.getClass().getName());
    }

    private String conv(Conv2d conv, String x) {
        ConvBnFolding.FoldedConv f = folded.conv(conv);
        if (f != null) {
            NDArray weight = f.weight();
            return w.conv2d(x, weight.getShape(), w.constant(weight), f.bias() == null ? "None" : w.constant(f.bias()),
                    conv.getStride(), conv.getPadding(), conv.getDilation(), f.groups());
        }
        Parameter weight = conv.getParameters().get("weight");
        Parameter bias = conv.isIncludeBias() ? conv.getParameters().get("bias") : null;
        return w.conv2d(x, weight.getArray().getShape(), w.constant(weight), bias == null ? "None" : w.constant(bias),
                conv.getStride(), conv.getPadding(), conv.getDilation(), conv.getGroups());
    }

    @Override
    public List<String> convBn(Block conv, List<? extends Block> norms, List<String> inputs) {
        ConvBnFolding folding = ConvBnFolding.installed();
        ConvBnFolding.Folded f = folding == null ? null : folding.current(norms, w.device());
        if (f != null) {
            return folded.with(f, () -> child(conv, inputs));
        }
        return Ops.convThenNorms(this, conv, norms, inputs);
    }

    @Override
    public String share(String x) {
        return w.share(x);
    }

    @Override
    public <V> V state(Supplier<V> state) {
        return w.watch(state);
    }

    @Override
    public Shape shapeOf(String x) {
        return null;
    }

    // ------------------------------------------------------------------ element-wise

    @Override
    public String relu(String x) {
        return w.relu(x);
    }

    @Override
    public String sigmoid(String x) {
        return w.let("torch.sigmoid(" + x + ")");
    }

    @Override
    public String silu(String x) {
        return w.let((w.isFresh(x) ? "torch.silu_(" : "torch.silu(") + x + ")");
    }

    @Override
    public String softmax(String x, int axis) {
        return w.let("torch.softmax(" + x + ", " + axis + ")");
    }

    @Override
    public String add(String a, String b) {
        return w.add(a, b);
    }

    @Override
    public String mul(String a, String b) {
        return w.let((w.isFresh(a) ? "torch.mul_(" : "torch.mul(") + a + ", " + b + ")");
    }

    @Override
    public String scale(String x, float factor) {
        if (factor == 1f) {
            return x;
        }
        return w.let((w.isFresh(x) ? "torch.mul_(" : "torch.mul(") + x + ", " + ScriptWriter.literal(factor) + ")");
    }

    @Override
    public String residualRelu(String branch, String shortcut) {
        return w.residualRelu(branch, shortcut);
    }

    // ------------------------------------------------------------------ layout

    @Override
    public String cat(List<String> values, int axis) {
        return values.size() == 1 ? values.get(0) : w.let("torch.cat(" + ScriptWriter.list(values) + ", " + axis + ")");
    }

    @Override
    public List<String> split(String x, long size, int count, int axis) {
        if (count == 1) {
            return List.of(x);
        }
        boolean fresh = w.isFresh(x);
        List<String> views = w.unpack("torch.split(" + x + ", " + size + ", " + axis + ")", count);
        if (!fresh) {
            views.forEach(w::share);
        }
        return views;
    }

    @Override
    public String flatten(String x, int startAxis) {
        boolean fresh = w.isFresh(x);
        String y = w.let("torch.flatten(" + x + ", " + startAxis + ")");
        return fresh ? y : w.share(y);
    }

    @Override
    public String selectChannels(String x, ChannelSelection selection) {
        return w.let("torch.index_select(" + x + ", 1, " + w.constant(selection.on(w.device())) + ")");
    }

    // ------------------------------------------------------------------ pooling and resampling

    @Override
    public String avgPool2d(String x, int kernel, int stride, int padding, boolean ceilMode, boolean countIncludePad) {
        return w.avgPool2d(x, kernel, stride, padding, ceilMode, countIncludePad);
    }

    @Override
    public String maxPool2d(String x, int kernel, int stride, int padding) {
        return w.maxPool2d(x, kernel, stride, padding);
    }

    @Override
    public String globalAvgPool(String x) {
        return w.let("torch.flatten(torch.adaptive_avg_pool2d(" + x + ", [1, 1]), 1)");
    }

    /** The adaptive pool DJL's global pool runs, to 1×1. */
    @Override
    public String spatialMean(String x) {
        return w.let("torch.adaptive_avg_pool2d(" + x + ", [1, 1])");
    }

    @Override
    public String adaptiveAvgPool2d(String x, int height, int width) {
        return w.let("torch.adaptive_avg_pool2d(" + x + ", " + ScriptWriter.ints(height, width) + ")");
    }

    @Override
    public String resizeBilinearAlignedLike(String x, String like) {
        return w.let("torch.upsample_bilinear2d(" + x + ", [" + like + ".size(2), " + like + ".size(3)], True, None)");
    }

    @Override
    public String upsampleNearest2x(String x) {
        return w.let("torch.upsample_nearest2d(" + x + ", [2 * " + x + ".size(2), 2 * " + x + ".size(3)], None, None)");
    }

    /** The broadcast add through (N, C, H, 2, W, 2) views, as the eager forward. */
    @Override
    public String addUpsampled(String high, String low) {
        String s = w.let(low + ".size()");
        String highView = "[" + s + "[0], " + s + "[1], " + s + "[2], 2, " + s + "[3], 2]";
        String lowView = low + ".reshape([" + s + "[0], " + s + "[1], " + s + "[2], 1, " + s + "[3], 1])";
        if (w.isFresh(high)) {
            w.statement("torch.add_(" + high + ".reshape(" + highView + "), " + lowView + ")");
            return high;
        }
        return w.let("torch.add(" + high + ".reshape(" + highView + "), " + lowView + ").reshape([" + s + "[0], " + s
                + "[1], 2 * " + s + "[2], 2 * " + s + "[3]])");
    }

    // ------------------------------------------------------------------ convolutions

    @Override
    public String conv2d(String x, DerivedWeight weight, DerivedWeight bias, ConvGeometry g) {
        return w.conv2d(x, weight.shape(), constant(weight), bias == null ? "None" : constant(bias), g.strideShape(),
                g.paddingShape(), g.dilationShape(), g.groups());
    }

    private String constant(DerivedWeight weight) {
        boolean[] owned = new boolean[1];
        NDArray value = weight.forEval(owned);
        return owned[0] ? w.ownedConstant(value) : w.constant(value);
    }

    /**
     * The mixture conv for any batch size: the batch-one conv when the batch is one, else the batched
     * form {@link MixtureConv#batchForm} picks for this device, as the eager forward.
     */
    @Override
    public String mixtureConv(String x, String att, Parameter bank, Parameter biasBank, MixtureConv spec) {
        ConvBnFolding.FoldedMixture f = folded.mixture(bank);
        String kernels;
        String biases;
        String shift;
        if (f != null) {
            kernels = w.constant(f.scaledBank());
            biases = f.scaledBiasBank() == null ? null : w.constant(f.scaledBiasBank());
            shift = w.constant(f.shift());
        } else {
            kernels = w.let(w.constant(bank) + ".reshape([" + spec.kernels() + ", -1])");
            biases = biasBank == null ? null : w.constant(biasBank);
            shift = null;
        }
        return mix(x, att, kernels, biases, shift, spec);
    }

    private String mix(String x, String att, String bank, String biasBank, String shift, MixtureConv spec) {
        int out = spec.outChannels();
        int in = spec.inChannels();
        String n = w.let(x + ".size(0)");
        String mixed = w.let("torch.mm(" + att + ", " + bank + ")");
        String bias = biasBank == null ? null : w.let("torch.mm(" + att + ", " + biasBank + ")"); // (N, out)
        if (shift != null) {
            bias = bias == null ? shift : w.let("torch.add(" + bias + ", " + shift + ")");
        }
        boolean sharedBias = biasBank == null;
        String geometry = ScriptWriter.ints(spec.stride(), spec.stride()) + ", "
                + ScriptWriter.ints(spec.padding(), spec.padding()) + ", "
                + ScriptWriter.ints(spec.dilation(), spec.dilation());
        String kernelShape = (in / spec.groups()) + ", " + spec.kernelSize() + ", " + spec.kernelSize();
        String oneSample = "torch.conv2d(" + x + ", " + mixed + ".reshape([" + out + ", " + kernelShape + "]), "
                + (bias == null ? "None" : bias + ".reshape([-1])") + ", " + geometry + ", " + spec.groups() + ")";
        String batched = switch (spec.batchForm(w.device(), false)) {
            case BATCHED_MATMUL -> {
                String outShape = outputShape(x, n, spec);
                int stride = spec.stride();
                String sampled = stride == 1 ? x : x + "[:, :, ::" + stride + ", ::" + stride + "]";
                yield "torch.bmm(" + mixed + ".reshape([" + n + ", " + out + ", " + in + "]), " + sampled
                        + ".reshape([" + n + ", " + in + ", -1]))"
                        + (bias == null ? "" : ".add_(" + bias + ".unsqueeze(-1))") + ".reshape(" + outShape + ")";
            }
            case SAMPLE_BY_SAMPLE -> {
                String sampleBias = bias == null ? "None" : sharedBias ? bias : bias + "[i]";
                yield "torch.cat([torch.conv2d(" + x + "[i:i + 1], " + mixed + "[i].reshape([" + out + ", "
                        + kernelShape + "]), " + sampleBias + ", " + geometry + ", " + spec.groups()
                        + ") for i in range(" + n + ")])";
            }
            case BATCH_AS_GROUPS -> {
                String outShape = outputShape(x, n, spec);
                String batchBias = bias == null ? "None" : sharedBias ? bias + ".repeat([" + n + "])"
                        : bias + ".reshape([-1])";
                yield "torch.conv2d(torch.flatten(" + x + ", 0, 1).unsqueeze(0), " + mixed + ".reshape([-1, "
                        + kernelShape + "]), " + batchBias + ", " + geometry + ", " + n + " * " + spec.groups()
                        + ").reshape(" + outShape + ")";
            }
        };
        return w.let(oneSample + " if " + n + " == 1 else " + batched);
    }

    /** The batched output's shape as a TorchScript int list (only the forms that reshape to it write it). */
    private String outputShape(String x, String n, MixtureConv spec) {
        return "[" + n + ", " + spec.outChannels() + ", " + w.let(outputLength(x + ".size(2)", spec)) + ", "
                + w.let(outputLength(x + ".size(3)", spec)) + "]";
    }

    /** TorchScript integer expression of {@link MixtureConv#outputLength} for an input length expression. */
    private static String outputLength(String length, MixtureConv spec) {
        return "(" + length + " + " + (2 * spec.padding() - spec.dilation() * (spec.kernelSize() - 1) - 1) + ") // "
                + spec.stride() + " + 1";
    }
}
