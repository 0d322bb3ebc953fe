package io.convzoo.blocks.onnx;

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
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.MixtureConv;
import io.convzoo.blocks.Ops;
import io.convzoo.blocks.onnx.OnnxGraph.FloatAttribute;
import io.convzoo.blocks.onnx.OnnxGraph.IntAttribute;
import io.convzoo.blocks.onnx.OnnxGraph.IntsAttribute;
import io.convzoo.blocks.onnx.OnnxGraph.StringAttribute;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The interpreter that writes a block's eval forward as an ONNX graph: values are the graph's tensor
 * names, weights become initializers. A {@link Ops#convBn} pair the last eval forward ran folded is
 * written with the very folded arrays it used (one Conv, no BatchNormalization), as the script
 * interpreter does. ONNX graphs are single-assignment, so sharing and in-place writes need nothing.
 * Dynamic convolution (a per-sample kernel) has an ONNX form only for a fixed batch size (its batch
 * folds into the conv's groups, an attribute): written for a dynamic batch it throws
 * {@link FixedBatchOnly}.
 *
 * <p>Written for ONNX Runtime on x86 CPUs ({@link #write(Block, Device, long, long, String, boolean)}), a split
 * of a ReLU'd conv into chunks ORT cannot run in its blocked layout ("NCHWc") is written as one conv
 * per chunk, each zero-padded to a multiple of 16 channels; convs,
 * ReLUs, adds, average pools and concats of such values keep the padding (the zeros stay zeros), and
 * any other op gets the real channels back. The result is exact. ORT blocks a conv only when its
 * input channels are a multiple of 4 (or fewer than 16), so Res2Net-50's 26-channel scale convs ran
 * unblocked, with reorders around every split and concat (docs/benchmarks.md, "Res2Net's 26-channel
 * chunks padded").
 */
public final class OnnxOps implements Ops<String> {

    /** A graph that has an ONNX form only for a fixed batch size was asked for a dynamic batch. */
    public static final class FixedBatchOnly extends UnsupportedOperationException {
        FixedBatchOnly(String message) {
            super(message);
        }
    }

    /** ONNX Runtime's blocked layout on x86 holds channels in blocks of up to this many (16 with AVX-512, 8 with AVX2). */
    static final long BLOCK = 16;

    private final OnnxGraph g;
    private final Device device;
    private final long batch;
    private final boolean padChunks;
    private final ConvBnFolding.Active folded = new ConvBnFolding.Active();
    /** Values held zero-padded, by name. */
    private final Map<String, Padding> padded = new HashMap<>();
    /** The real channels of padded values, written once each. */
    private final Map<String, String> unpadded = new HashMap<>();

    /**
     * Channels held zero-padded: segment i has {@code real[i]} channels, then zeros up to {@code held[i]}
     * (one segment, or the segments of a concat).
     */
    private record Padding(long[] real, long[] held) {
        long heldTotal() {
            return Arrays.stream(held).sum();
        }

        boolean sameAs(Padding other) {
            return Arrays.equals(real, other.real) && Arrays.equals(held, other.held);
        }

        /** For each real channel, its index among the held ones. */
        long[] realIndices() {
            long[] out = new long[(int) Arrays.stream(real).sum()];
            int next = 0;
            long offset = 0;
            for (int s = 0; s < real.length; s++) {
                for (long j = 0; j < real[s]; j++) {
                    out[next++] = offset + j;
                }
                offset += held[s];
            }
            return out;
        }
    }

    private OnnxOps(OnnxGraph graph, Device device, long batch, boolean padChunks) {
        this.g = graph;
        this.device = device;
        this.batch = batch;
        this.padChunks = padChunks;
    }

    /** Whether ONNX Runtime on this machine has its blocked layout (x86-64), where padded chunks pay. */
    public static boolean blockedLayoutHere() {
        String arch = System.getProperty("os.arch", "");
        return arch.equals("amd64") || arch.equals("x86_64");
    }

    /** Channels ORT's blocked layout cannot take as a conv's input: 16 or more, not a multiple of 4. */
    static boolean unblocked(long channels) {
        return channels >= BLOCK && channels % 4 != 0;
    }

    private static long roundUpToBlock(long channels) {
        return (channels + BLOCK - 1) / BLOCK * BLOCK;
    }

    /**
     * The eval forward of {@code root} (whose last eval forward ran on {@code device}) as an ONNX model
     * with input {@code input} of {@code channels} channels and output {@code output}, for any batch
     * size ({@code batch = 0}) or for batches of exactly {@code batch}.
     *
     * @throws FixedBatchOnly {@code batch = 0} and the forward has an ONNX form only for a fixed batch
     * @throws UnsupportedOperationException a block has no ONNX form
     */
    public static byte[] write(Block root, Device device, long batch, long channels, String name) {
        return write(root, device, batch, channels, name, false);
    }

    /**
     * {@link #write(Block, Device, long, long, String)}; with {@code padChunks}, for ONNX Runtime's blocked
     * layout: chunks it cannot block are written zero-padded (the class comment).
     */
    public static byte[] write(Block root, Device device, long batch, long channels, String name, boolean padChunks) {
        OnnxGraph graph = new OnnxGraph(true);
        OnnxOps ops = new OnnxOps(graph, device, batch, padChunks);
        List<String> out = ops.child(root, List.of("input"));
        if (out.size() != 1) {
            throw new UnsupportedOperationException("the model returns " + out.size() + " values; ONNX export "
                    + "writes one output");
        }
        return graph.toModel(name, "input", batch, channels, ops.real(out.get(0)));
    }

    /**
     * Why {@code root} (initialized) has no ONNX form even for a fixed batch size, or null when it has
     * one: its forward written without copying any weight.
     */
    public static String unsupported(Block root) {
        return dryRun(root, 1);
    }

    /** Whether {@code root} (initialized, with an ONNX form) has one only for a fixed batch size. */
    public static boolean needsFixedBatch(Block root) {
        return dryRun(root, 0) != null;
    }

    private static String dryRun(Block root, long batch) {
        try {
            new OnnxOps(new OnnxGraph(false), Device.cpu(), batch, false).child(root, List.of("input"));
            return null;
        } catch (UnsupportedOperationException e) {
            return e.getMessage();
        }
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
        x = real(x);
        if (child instanceof BatchNorm bn) {
            var p = bn.getParameters();
            Float epsilon = Layers.epsilon(bn);
            if (epsilon == null) {
                throw new UnsupportedOperationException("BatchNorm without a readable epsilon has no ONNX form");
            }
            return List.of(g.node("BatchNormalization", List.of(x, g.weight(p.get("gamma").getArray()),
                    g.weight(p.get("beta").getArray()), g.weight(p.get("runningMean").getArray()),
                    g.weight(p.get("runningVar").getArray())), new FloatAttribute("epsilon", epsilon)));
        }
        if (child instanceof Linear linear) {
            var p = linear.getParameters();
            List<String> in = new ArrayList<>(List.of(x, g.weight(p.get("weight").getArray())));
            if (p.contains("bias")) {
                in.add(g.weight(p.get("bias").getArray()));
            }
            return List.of(g.node("Gemm", in, new IntAttribute("transB", 1)));
        }
        throw new UnsupportedOperationException("no ONNX form for " + child.getClass().getName());
    }

    private String conv(Conv2d conv, String x) {
        ConvBnFolding.FoldedConv f = folded.conv(conv);
        if (f != null) {
            return conv(x, f.weight(), f.bias(), conv.getStride(), conv.getPadding(), conv.getDilation(), f.groups());
        }
        var p = conv.getParameters();
        return conv(x, p.get("weight").getArray(), conv.isIncludeBias() ? p.get("bias").getArray() : null,
                conv.getStride(), conv.getPadding(), conv.getDilation(), conv.getGroups());
    }

    private String conv(String x, NDArray weight, NDArray bias, Shape stride, Shape padding, Shape dilation,
                        long groups) {
        Shape k = weight.getShape();
        Padding input = padded.get(x);
        List<String> in = new ArrayList<>();
        long outChannels = k.get(0);
        long heldOut = outChannels;
        if (input != null && groups == 1) {
            // Its input held padded: the weight reads the real channels where they are held, and an output
            // ORT cannot block is held padded too.
            heldOut = unblocked(outChannels) ? roundUpToBlock(outChannels) : outChannels;
            in.add(x);
            in.add(g.tensor(new long[] {heldOut, input.heldTotal(), k.get(2), k.get(3)},
                    spread(weight.toFloatArray(), k, input, heldOut)));
            if (bias != null) {
                in.add(g.tensor(new long[] {heldOut}, Arrays.copyOf(bias.toFloatArray(), (int) heldOut)));
            }
        } else {
            in.add(real(x));
            in.add(g.weight(weight));
            if (bias != null) {
                in.add(g.weight(bias));
            }
        }
        long[] pad = padding.getShape();
        String y = g.node("Conv", in, new IntsAttribute("kernel_shape", new long[] {k.get(2), k.get(3)}),
                new IntsAttribute("strides", stride.getShape()), new IntsAttribute("pads", pads(pad[0], pad[1])),
                new IntsAttribute("dilations", dilation.getShape()), new IntAttribute("group", groups));
        if (heldOut != outChannels) {
            padded.put(y, new Padding(new long[] {outChannels}, new long[] {heldOut}));
        }
        return y;
    }

    /** A conv weight of {@code shape} (O, I, kh, kw) for an input held as {@code input}, with {@code heldOut} outputs (zeros after O). */
    private static float[] spread(float[] weight, Shape shape, Padding input, long heldOut) {
        int kernel = (int) (shape.get(2) * shape.get(3));
        int realIn = (int) shape.get(1);
        int heldIn = (int) input.heldTotal();
        long[] to = input.realIndices();
        float[] out = new float[(int) heldOut * heldIn * kernel];
        for (int o = 0; o < shape.get(0); o++) {
            for (int i = 0; i < realIn; i++) {
                System.arraycopy(weight, (o * realIn + i) * kernel, out, (int) ((o * heldIn + to[i]) * kernel), kernel);
            }
        }
        return out;
    }

    /** {@code x} with its real channels only: itself unless held padded. */
    private String real(String x) {
        Padding p = padded.get(x);
        if (p == null) {
            return x;
        }
        return unpadded.computeIfAbsent(x, v -> p.real.length == 1
                ? g.node("Slice", List.of(v, g.longs(0), g.longs(p.real[0]), g.longs(1)))
                : g.node("Gather", List.of(v, g.longs(p.realIndices())), new IntAttribute("axis", 1)));
    }

    /** {@code y}, written from {@code x}, held padded as {@code x} is. */
    private String heldAs(String x, String y) {
        Padding p = padded.get(x);
        if (p != null) {
            padded.put(y, p);
        }
        return y;
    }

    /** ONNX's pads: (top, left, bottom, right). */
    private static long[] pads(long height, long width) {
        return new long[] {height, width, height, width};
    }

    @Override
    public List<String> convBn(Block conv, List<? extends Block> norms, List<String> inputs) {
        ConvBnFolding folding = ConvBnFolding.installed();
        ConvBnFolding.Folded f = folding == null ? null : folding.current(norms, device);
        if (f != null) {
            return folded.with(f, () -> child(conv, inputs));
        }
        return Ops.convThenNorms(this, conv, norms, inputs);
    }

    @Override
    public String share(String x) {
        return x;
    }

    @Override
    public Shape shapeOf(String x) {
        return null;
    }

    // ------------------------------------------------------------------ element-wise

    @Override
    public String relu(String x) {
        return heldAs(x, g.node("Relu", List.of(x)));
    }

    @Override
    public String sigmoid(String x) {
        return g.node("Sigmoid", List.of(real(x)));
    }

    /** Opset 17 has no SiLU operator: {@code x * Sigmoid(x)}. */
    @Override
    public String silu(String x) {
        String r = real(x);
        return g.node("Mul", List.of(r, g.node("Sigmoid", List.of(r))));
    }

    @Override
    public String softmax(String x, int axis) {
        return g.node("Softmax", List.of(real(x)), new IntAttribute("axis", axis));
    }

    @Override
    public String add(String a, String b) {
        Padding pa = padded.get(a);
        Padding pb = padded.get(b);
        if (pa != null && pb != null && pa.sameAs(pb)) {
            return heldAs(a, g.node("Add", List.of(a, b)));
        }
        return g.node("Add", List.of(real(a), real(b)));
    }

    @Override
    public String mul(String a, String b) {
        return g.node("Mul", List.of(real(a), real(b)));
    }

    @Override
    public String scale(String x, float factor) {
        return factor == 1f ? real(x) : g.node("Mul", List.of(real(x), g.scalar(factor)));
    }

    // ------------------------------------------------------------------ layout

    @Override
    public String cat(List<String> values, int axis) {
        if (values.size() == 1) {
            return values.get(0);
        }
        if (axis == 1 && values.stream().allMatch(padded::containsKey)) {
            // Concatenated as held: ORT concatenates blocked values when each holds a multiple of 16 channels.
            List<Padding> parts = values.stream().map(padded::get).toList();
            long[] real = parts.stream().flatMapToLong(p -> Arrays.stream(p.real)).toArray();
            long[] held = parts.stream().flatMapToLong(p -> Arrays.stream(p.held)).toArray();
            String y = g.node("Concat", values, new IntAttribute("axis", axis));
            padded.put(y, new Padding(real, held));
            return y;
        }
        return g.node("Concat", values.stream().map(this::real).toList(), new IntAttribute("axis", axis));
    }

    @Override
    public List<String> split(String x, long size, int count, int axis) {
        if (count == 1) {
            return List.of(x);
        }
        if (padChunks && axis == 1 && unblocked(size)) {
            List<String> chunks = chunkConvs(x, size, count);
            if (chunks != null) {
                return chunks;
            }
        }
        x = real(x);
        List<String> out = new ArrayList<>(count);
        String axes = g.longs(axis);
        for (int i = 0; i < count; i++) {
            out.add(g.node("Slice", List.of(x, g.longs(i * size), g.longs((i + 1) * size), axes)));
        }
        return out;
    }

    /**
     * {@code x} = ReLU(Conv(input)) split in {@code count} chunks of {@code size} channels, written as one conv
     * and ReLU per chunk, each held zero-padded to a multiple of 16 channels; null where {@code x} is not
     * such a value (the split is then written as slices).
     */
    private List<String> chunkConvs(String x, long size, int count) {
        OnnxGraph.Node relu = g.producer(x);
        OnnxGraph.Node conv = relu == null || !relu.op().equals("Relu") ? null : g.producer(relu.inputs().get(0));
        if (conv == null || !conv.op().equals("Conv") || conv.intAttribute("group", 1) != 1 || padded.containsKey(x)) {
            return null;
        }
        float[] weight = g.values(conv.inputs().get(1));
        float[] bias = conv.inputs().size() > 2 ? g.values(conv.inputs().get(2)) : null;
        long[] dims = g.dims(conv.inputs().get(1));
        if (weight == null || dims[0] != size * count || (conv.inputs().size() > 2 && bias == null)) {
            return null; // a graph without data, or a conv whose outputs are not the chunks
        }
        int perOutput = (int) (dims[1] * dims[2] * dims[3]);
        long held = roundUpToBlock(size);
        OnnxGraph.Attribute[] attributes = conv.attributes().toArray(new OnnxGraph.Attribute[0]);
        List<String> chunks = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            float[] w = new float[(int) held * perOutput];
            System.arraycopy(weight, (int) (i * size) * perOutput, w, 0, (int) size * perOutput);
            List<String> in = new ArrayList<>(List.of(conv.inputs().get(0), g.tensor(new long[] {held, dims[1], dims[2], dims[3]}, w)));
            if (bias != null) {
                float[] b = new float[(int) held];
                System.arraycopy(bias, (int) (i * size), b, 0, (int) size);
                in.add(g.tensor(new long[] {held}, b));
            }
            String chunk = g.node("Relu", List.of(g.node("Conv", in, attributes)));
            padded.put(chunk, new Padding(new long[] {size}, new long[] {held}));
            chunks.add(chunk);
        }
        return chunks;
    }

    @Override
    public String flatten(String x, int startAxis) {
        long[] shape = new long[startAxis + 1];
        shape[startAxis] = -1; // 0: keep that axis
        return g.node("Reshape", List.of(real(x), g.longs(shape)));
    }

    @Override
    public String selectChannels(String x, ChannelSelection selection) {
        NDArray indices = selection.on(device);
        return g.node("Gather", List.of(real(x), g.longs(indices.toLongArray())), new IntAttribute("axis", 1));
    }

    // ------------------------------------------------------------------ pooling and resampling

    @Override
    public String avgPool2d(String x, int kernel, int stride, int padding, boolean ceilMode, boolean countIncludePad) {
        return heldAs(x, g.node("AveragePool", List.of(x), new IntsAttribute("kernel_shape", new long[] {kernel, kernel}),
                new IntsAttribute("strides", new long[] {stride, stride}), new IntsAttribute("pads", pads(padding, padding)),
                new IntAttribute("ceil_mode", ceilMode ? 1 : 0),
                new IntAttribute("count_include_pad", countIncludePad ? 1 : 0)));
    }

    @Override
    public String maxPool2d(String x, int kernel, int stride, int padding) {
        return g.node("MaxPool", List.of(real(x)), new IntsAttribute("kernel_shape", new long[] {kernel, kernel}),
                new IntsAttribute("strides", new long[] {stride, stride}), new IntsAttribute("pads", pads(padding, padding)));
    }

    @Override
    public String globalAvgPool(String x) {
        return flatten(spatialMean(x), 1);
    }

    @Override
    public String spatialMean(String x) {
        return g.node("GlobalAveragePool", List.of(real(x)));
    }

    /**
     * PyTorch's bins for any input size: bin i of n inputs pooled to o is [⌊i·n/o⌋, ⌈(i+1)·n/o⌉), computed from
     * the input's shape in the graph. A bin is a rectangle, so its mean is the mean over its rows of the means
     * over its columns: the height is pooled first (o Slice + ReduceMean, one Concat), then the width.
     */
    @Override
    public String adaptiveAvgPool2d(String x, int height, int width) {
        if (height == 1 && width == 1) {
            return spatialMean(x);
        }
        return adaptiveMean(adaptiveMean(real(x), 2, height), 3, width);
    }

    /** Adaptive average pooling of axis {@code axis} to {@code bins}. */
    private String adaptiveMean(String x, int axis, int bins) {
        String size = g.node("Slice", List.of(g.node("Shape", List.of(x)), g.longs(axis), g.longs(axis + 1)));
        String axes = g.longs(axis);
        List<String> means = new ArrayList<>();
        for (int i = 0; i < bins; i++) {
            // floor(i·n/o) and ceil((i+1)·n/o) = floor(((i+1)·n + o − 1)/o); integer Div truncates, and n ≥ 0.
            String start = g.node("Div", List.of(g.node("Mul", List.of(size, g.longs(i))), g.longs(bins)));
            String end = g.node("Div", List.of(g.node("Add", List.of(g.node("Mul", List.of(size, g.longs(i + 1))),
                    g.longs(bins - 1))), g.longs(bins)));
            String bin = g.node("Slice", List.of(x, start, end, axes));
            means.add(g.node("ReduceMean", List.of(bin), new IntsAttribute("axes", new long[] {axis}),
                    new IntAttribute("keepdims", 1)));
        }
        return bins == 1 ? means.get(0) : g.node("Concat", means, new IntAttribute("axis", axis));
    }

    @Override
    public String resizeBilinearAlignedLike(String x, String like) {
        x = real(x);
        like = real(like);
        String batchAndChannels = g.node("Slice", List.of(g.node("Shape", List.of(x)), g.longs(0), g.longs(2)));
        String spatial = g.node("Slice", List.of(g.node("Shape", List.of(like)), g.longs(2), g.longs(4)));
        String sizes = g.node("Concat", List.of(batchAndChannels, spatial), new IntAttribute("axis", 0));
        return g.node("Resize", List.of(x, "", "", sizes), new StringAttribute("mode", "linear"),
                new StringAttribute("coordinate_transformation_mode", "align_corners"));
    }

    /** Each pixel repeated: nearest with floor of the asymmetric source coordinate. */
    @Override
    public String upsampleNearest2x(String x) {
        return g.node("Resize", List.of(real(x), "", g.floats(1f, 1f, 2f, 2f)), new StringAttribute("mode", "nearest"),
                new StringAttribute("coordinate_transformation_mode", "asymmetric"),
                new StringAttribute("nearest_mode", "floor"));
    }

    @Override
    public String addUpsampled(String high, String low) {
        return add(high, upsampleNearest2x(low));
    }

    // ------------------------------------------------------------------ convolutions

    @Override
    public String conv2d(String x, DerivedWeight weight, DerivedWeight bias, ConvGeometry geometry) {
        boolean[] ownedWeight = new boolean[1];
        boolean[] ownedBias = new boolean[1];
        NDArray w = weight.forEval(ownedWeight);
        NDArray b = bias == null ? null : bias.forEval(ownedBias);
        try {
            return conv(x, w, b, geometry.strideShape(), geometry.paddingShape(), geometry.dilationShape(),
                    geometry.groups());
        } finally {
            if (ownedWeight[0]) {
                w.close();
            }
            if (b != null && ownedBias[0]) {
                b.close();
            }
        }
    }

    /**
     * The per-sample kernels {@code attention · bank} (one MatMul); a batch of one is one Conv with
     * them, a larger (fixed) batch one Conv of {@code batch × groups} groups over the batch folded into
     * the channels, as the official module computes it. BatchNorm folded as for the scripted form.
     */
    @Override
    public String mixtureConv(String x, String attention, Parameter bank, Parameter biasBank, MixtureConv spec) {
        x = real(x);
        attention = real(attention);
        if (batch <= 0) {
            throw new FixedBatchOnly("dynamic convolution (a kernel mixed per sample) has an ONNX form only for a "
                    + "fixed batch size");
        }
        ConvBnFolding.FoldedMixture f = folded.mixture(bank);
        long kernels = spec.kernels();
        String flatBank = f != null ? g.weight(f.scaledBank())
                : g.node("Reshape", List.of(g.weight(bank.getArray()), g.longs(kernels, -1)));
        NDArray biases = f != null ? f.scaledBiasBank() : biasBank == null ? null : biasBank.getArray();
        String bias = biases == null ? null : g.node("MatMul", List.of(attention, g.weight(biases))); // (N, out)
        if (f != null) {
            String shift = g.weight(f.shift());
            bias = bias == null ? shift : add(bias, shift);
        }
        long out = spec.outChannels();
        long in = spec.inChannels();
        long k = spec.kernelSize();
        String mixed = g.node("MatMul", List.of(attention, flatBank)); // (N, out · in/g · k · k)
        String kernel = g.node("Reshape", List.of(mixed, g.longs(batch * out, in / spec.groups(), k, k)));
        OnnxGraph.Attribute[] geometry = {new IntsAttribute("kernel_shape", new long[] {k, k}),
                new IntsAttribute("strides", new long[] {spec.stride(), spec.stride()}),
                new IntsAttribute("pads", pads(spec.padding(), spec.padding())),
                new IntsAttribute("dilations", new long[] {spec.dilation(), spec.dilation()}),
                new IntAttribute("group", batch * spec.groups())};
        if (batch == 1) {
            List<String> inputs = bias == null ? List.of(x, kernel)
                    : List.of(x, kernel, g.node("Reshape", List.of(bias, g.longs(out))));
            return g.node("Conv", inputs, geometry);
        }
        // Reshape's 0 keeps that axis of its input: the spatial sizes pass through.
        String batchInChannels = g.node("Reshape", List.of(x, g.longs(1, batch * in, 0, 0)));
        String y = g.node("Reshape", List.of(g.node("Conv", List.of(batchInChannels, kernel), geometry),
                g.longs(batch, out, 0, 0)));
        return bias == null ? y : add(y, g.node("Reshape", List.of(bias, g.longs(-1, out, 1, 1))));
    }
}
