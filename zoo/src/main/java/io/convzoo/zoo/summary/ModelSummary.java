package io.convzoo.zoo.summary;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.convolutional.Convolution;
import ai.djl.nn.convolutional.Deconvolution;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.Pair;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.convzoo.blocks.ConvMath;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.MacCounted;
import io.convzoo.blocks.ReluBlock;
import io.convzoo.blocks.ChildNames;
import io.convzoo.blocks.DataflowBlock;
import io.convzoo.blocks.layers.GlobalAvgPool;
import io.convzoo.blocks.layers.Identity;
import io.convzoo.blocks.layers.MaxPool2d;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A torchsummary-style summary of any DJL block for one input shape: per-layer rows (name, type,
 * output shape, learnable parameters, MACs, receptive field) and the totals torchsummary prints
 * (parameters, trainable, non-trainable, input / forward-backward / params / total size in MB),
 * plus total conv+linear MACs and auxiliary MACs reported apart.
 *
 * <p><b>Walk.</b> Leaf blocks are rows. A {@link DataflowBlock} with children reports each child with the input
 * shapes it sees ({@link DataflowBlock#traceChildren}); a DJL {@link SequentialBlock} chains its
 * children; a {@link ParallelBlock} gives each child the same input. A {@link MacCounted} block
 * (and any composite with parameters of its own) gets a row for its own parameters and MACs before
 * its children's rows. A composite block that is none of these is opaque: one row with all its
 * parameters. As in torchsummary, composites are not rows themselves; {@link Options#maxDepth}
 * collapses everything below a depth into one row per composite, for display only.
 *
 * <p><b>Batch.</b> The input shape includes the batch dimension (any positive value or -1); the
 * walk runs on batch 1 and every number is per sample, the way torchsummary reports with
 * {@code batch_size=-1}: shapes print the batch as -1, MACs are for one sample. The input and
 * forward/backward sizes are for the whole batch, as torchsummary multiplies them by its
 * {@code batch_size} (a batch of -1 counts as 1); the params size does not depend on it.
 *
 * <p><b>Sizes</b> follow torchsummary exactly: float32 values, MB = bytes / 1024²; input size =
 * one input sample; forward/backward = 2 × the output elements of the counted rows; params size =
 * total params; estimated total = the sum. Rows of parameter-free functional ops (DJL
 * {@link LambdaBlock}: activations, lambda pools, flatten) are the analogue of PyTorch's
 * {@code F.*} calls, which torchsummary does not see, so by default they are shown but not
 * counted in the forward/backward size ({@link Options#countFunctionalOutputs} counts them, as
 * torchsummary does for {@code nn.ReLU}-style modules).
 *
 * <p><b>Parameters and MACs.</b> Row params are learnable parameters without BatchNorm running
 * statistics ({@link Layers#countParameters}); trainable means {@link Parameter#requiresGradient}.
 * MACs: conv = output elements × (C_in / groups) × kh × kw ({@link ConvMath#convMacs}); linear =
 * in × out per position; a MacCounted block adds {@link MacCounted#ownMacs} and reports
 * {@link MacCounted#auxiliaryMacs} apart. Other layers count 0. Totals sum the rows, like
 * torchsummary (a block applied twice is counted twice).
 *
 * <p><b>Receptive field</b> (input pixels seen by one output value) is tracked along the walk with
 * r_out = r_in + (k_eff − 1) × j_in, j_out = j_in × stride, k_eff = k + (k − 1)(d − 1): exactly for
 * Conv2d (its kernel, stride and dilation are read), estimated from the spatial sizes for ops
 * whose geometry is hidden (lambda pools: exact for unpadded kernel == stride pooling; a lambda
 * named like {@code "maxPool2d(k=3,s=2,p=1)"} declares its window and is exact). Inside a
 * traced block a child's input is matched by shape to the tensors seen so far in that block (its
 * inputs and earlier children's outputs); where several match, or branches merge, the largest
 * field is taken. Exact for chains, an upper bound with branches. Leaving the spatial domain
 * (flatten, global pooling) covers the whole map.
 *
 * <p><b>Initialization.</b> An uninitialized block is initialized for the walk on a manager owned
 * by the summary; afterwards those parameters are released again, so the block is left
 * uninitialized as it came. An initialized block is used as is; its weights are checked against
 * the input shape. A shape that does not fit the block raises {@link IllegalArgumentException}.
 */
public final class ModelSummary {

    private static final double BYTES_PER_VALUE = 4.0;
    private static final double MIB = 1024.0 * 1024.0;
    private static final String ROW_FORMAT = "%20s  %25s %15s %15s %8s  %s";

    /** Display options; sizes and totals never depend on them except countFunctionalOutputs. */
    public static final class Options {
        private boolean showFunctional = true;
        private boolean countFunctionalOutputs;
        private int maxDepth = Integer.MAX_VALUE;

        /** Defaults: functional rows shown, not counted in the size; no depth limit. */
        public static Options defaults() {
            return new Options();
        }

        /** Whether the table shows rows of parameter-free functional ops (LambdaBlocks). */
        public Options showFunctional(boolean show) {
            this.showFunctional = show;
            return this;
        }

        /** Whether functional rows count in the forward/backward pass size. */
        public Options countFunctionalOutputs(boolean count) {
            this.countFunctionalOutputs = count;
            return this;
        }

        /** Table shows rows down to this depth (children of the block are depth 1). */
        public Options maxDepth(int depth) {
            if (depth < 1) {
                throw new IllegalArgumentException("ModelSummary: maxDepth must be >= 1, got " + depth);
            }
            this.maxDepth = depth;
            return this;
        }
    }

    /** A composite block seen in the walk: the range of rows below it, for depth-limited views. */
    private record Group(String name, String type, int depth, int first, int end,
                         List<long[]> outputShapes, ReceptiveField receptiveField) {}

    /** One tensor flowing through the walk: its shape (batch 1) and receptive field. */
    private record Tensor(Shape shape, ReceptiveField rf) {}

    private final long[] inputShape;
    private final List<LayerRow> rows;
    private final List<Group> groups;
    private final Options options;
    private final long params;
    private final long trainableParams;
    private final long macs;
    private final long auxiliaryMacs;
    private final long countedOutputElements;
    /** Samples the input and activation sizes are for (the input's batch; -1 counts as 1, as torchsummary). */
    private final long batch;
    private final long paramsOutsideForward;

    private ModelSummary(Shape sample, long batch, List<LayerRow> rows, List<Group> groups, Options options,
                         long paramsOutsideForward) {
        this.paramsOutsideForward = paramsOutsideForward;
        this.inputShape = displayShape(sample);
        this.batch = batch;
        this.rows = List.copyOf(rows);
        this.groups = List.copyOf(groups);
        this.options = options;
        long p = 0;
        long t = 0;
        long m = 0;
        long a = 0;
        long out = 0;
        for (LayerRow row : rows) {
            p += row.params();
            t += row.trainableParams();
            m += row.macs();
            a += row.auxiliaryMacs();
            if (!row.functional() || options.countFunctionalOutputs) {
                out += row.outputElements();
            }
        }
        this.params = p;
        this.trainableParams = t;
        this.macs = m;
        this.auxiliaryMacs = a;
        this.countedOutputElements = out;
    }

    /** Summary with default options; {@code inputShape} includes the batch, e.g. (1, 3, 224, 224). */
    public static ModelSummary of(Block block, Shape inputShape) {
        return of(block, inputShape, Options.defaults());
    }

    /** Summary with the given options; {@code inputShape} includes the batch dimension. */
    public static ModelSummary of(Block block, Shape inputShape, Options options) {
        Objects.requireNonNull(block, "block");
        Objects.requireNonNull(options, "options");
        Shape sample = sampleShape(inputShape);
        Set<Parameter> alreadyInitialized = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Parameter p : block.getParameters().values()) {
            if (p.isInitialized()) {
                alreadyInitialized.add(p);
            }
        }
        NDManager manager = null;
        try {
            if (!block.isInitialized()) {
                manager = NDManager.newBaseManager();
                initialize(block, manager, sample);
            }
            Walker walker = new Walker(false);
            walker.walk("", 0, block, List.of(new Tensor(sample, ReceptiveField.INPUT)));
            long outside = 0;
            for (Parameter p : block.getParameters().values()) {
                if (!walker.seen.contains(p) && !Layers.isRunningStatistic(p) && p.getShape() != null) {
                    outside += p.getShape().size();
                }
            }
            return new ModelSummary(sample, Math.abs(inputShape.get(0)), walker.rows, walker.groups, options, outside);
        } finally {
            if (manager != null) {
                // Give back what the summary allocated: the block leaves as uninitialized as it came.
                for (Parameter p : block.getParameters().values()) {
                    if (!alreadyInitialized.contains(p)) {
                        p.close();
                    }
                }
                manager.close();
            }
        }
    }

    private static Shape sampleShape(Shape inputShape) {
        if (inputShape == null) {
            throw new IllegalArgumentException(
                    "ModelSummary: input shape is null; expected (N, ...), e.g. (1, 3, 224, 224)");
        }
        long[] dims = inputShape.getShape();
        if (dims.length < 2) {
            throw new IllegalArgumentException("ModelSummary: expected an input shape (N, ...) with the batch "
                    + "first, e.g. (1, 3, 224, 224), got " + inputShape);
        }
        if (dims[0] == 0 || dims[0] < -1) {
            throw new IllegalArgumentException(
                    "ModelSummary: batch must be >= 1 or -1, got " + dims[0] + " in " + inputShape);
        }
        for (int i = 1; i < dims.length; i++) {
            if (dims[i] < 1) {
                throw new IllegalArgumentException(
                        "ModelSummary: every non-batch dimension must be >= 1, got " + inputShape);
            }
        }
        long[] sample = dims.clone();
        sample[0] = 1;
        return new Shape(sample);
    }

    private static void initialize(Block block, NDManager manager, Shape sample) {
        // The walk needs shapes, not values: zeros are far cheaper than random draws for 60M weights.
        // The block's own initializers are put back so its later real initialization is unaffected.
        Map<Parameter, Initializer> original = new HashMap<>();
        for (Parameter p : block.getParameters().values()) {
            if (!p.isInitialized()) {
                original.put(p, p.getInitializer());
                p.setInitializer(Initializer.ZEROS);
            }
        }
        try {
            block.initialize(manager, DataType.FLOAT32, sample);
        } catch (RuntimeException e) {
            // Find the layer that rejects the shape with a shapes-only walk, to name it.
            new Walker(true).walk("", 0, block, List.of(new Tensor(sample, ReceptiveField.INPUT)));
            if (e instanceof IllegalArgumentException) {
                throw e;
            }
            throw new IllegalArgumentException("ModelSummary: input shape " + sample + " does not fit "
                    + typeName(block) + ": " + e.getMessage(), e);
        } finally {
            original.forEach(Parameter::setInitializer);
        }
    }

    // ---------------------------------------------------------------- walk

    private static final class Walker {
        final List<LayerRow> rows = new ArrayList<>();
        final List<Group> groups = new ArrayList<>();
        /** Parameters of the blocks the walk reached. */
        final Set<Parameter> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        /** Shapes only, on an uninitialized block: locates the layer that rejects an input shape. */
        final boolean dryRun;

        Walker(boolean dryRun) {
            this.dryRun = dryRun;
        }

        List<Tensor> walk(String path, int depth, Block block, List<Tensor> inputs) {
            boolean composite = block instanceof DataflowBlock && !block.getChildren().isEmpty()
                    || block instanceof SequentialBlock || block instanceof ParallelBlock;
            if (!composite) {
                return leaf(path, depth, block, inputs);
            }
            int first = rows.size();
            int ownRow = -1;
            if (!dryRun && (block instanceof MacCounted || ownParams(block, false) > 0)) {
                block.getDirectParameters().values().forEach(seen::add);
                ownRow = rows.size();
                rows.add(null); // filled in once the block's output is known
            }
            Shape[] inShapes = shapes(inputs);
            List<Tensor> scope = new ArrayList<>(inputs);
            List<Tensor> outputs;
            if (block instanceof DataflowBlock traced) {
                // A member of a container without a forward (convs.0) sits one level deeper per name.
                Shape[] outShapes = traced.traceChildren(inShapes, (name, child, shapes) ->
                        scope.addAll(walk(join(path, name), depth + name.split("\\.").length, child,
                                pick(scope, shapes))));
                outputs = pick(scope, outShapes);
            } else if (block instanceof SequentialBlock) {
                List<Tensor> current = inputs;
                for (int i = 0; i < block.getChildren().size(); i++) {
                    current = walk(join(path, ChildNames.name(block, i)), depth + 1, block.getChildren().valueAt(i),
                            current);
                }
                outputs = current;
            } else {
                for (int i = 0; i < block.getChildren().size(); i++) {
                    scope.addAll(walk(join(path, ChildNames.name(block, i)), depth + 1, block.getChildren().valueAt(i),
                            inputs));
                }
                outputs = pick(scope, outputShapes(path, block, inShapes));
            }
            if (block instanceof MacCounted) {
                outputs = withOwnKernel(block, inputs, outputs);
            }
            List<long[]> display = displayShapes(shapes(outputs));
            ReceptiveField rf = outputs.isEmpty() ? ReceptiveField.INPUT : outputs.get(0).rf();
            if (ownRow >= 0) {
                long macs = 0;
                long aux = 0;
                if (block instanceof MacCounted counted) {
                    macs = counted.ownMacs(inShapes);
                    aux = counted.auxiliaryMacs(inShapes);
                }
                rows.set(ownRow, new LayerRow(path, typeName(block), display, ownParams(block, false),
                        ownParams(block, true), macs, aux, rf.roundedHeight(), rf.roundedWidth(), false,
                        depth + 1));
            }
            groups.add(new Group(path, typeName(block), depth, first, rows.size(), display, rf));
            return outputs;
        }

        private List<Tensor> leaf(String path, int depth, Block block, List<Tensor> inputs) {
            Shape[] in = shapes(inputs);
            checkWeights(path, block, in);
            Shape[] out = outputShapes(path, block, in);
            if (dryRun) {
                return pick(List.of(), out);
            }
            Tensor main = inputs.get(0);
            ReceptiveField rf = out.length == 0 ? main.rf() : leafRf(block, main, out[0]);
            long p = Layers.countParameters(block);
            block.getParameters().values().forEach(seen::add);
            long trainable = 0;
            for (Parameter param : block.getParameters().values()) {
                if (!Layers.isRunningStatistic(param) && param.requiresGradient()) {
                    trainable += param.getArray().size();
                }
            }
            long macs = leafMacs(block, in, out);
            long aux = 0;
            if (block instanceof MacCounted counted) {
                macs += counted.ownMacs(in);
                aux = counted.auxiliaryMacs(in);
            }
            rows.add(new LayerRow(path, typeName(block), displayShapes(out), p, trainable, macs, aux,
                    rf.roundedHeight(), rf.roundedWidth(), isFunctional(block), depth));
            List<Tensor> result = new ArrayList<>();
            for (Shape s : out) {
                result.add(new Tensor(s, rf));
            }
            return result;
        }
    }

    /**
     * Tensors of the given shapes, each with the receptive field of its likely source in scope:
     * the same shape (largest field if several), else the same spatial size (e.g. after a concat),
     * else an estimate from the deepest tensor (an op between children the walk does not see).
     */
    private static List<Tensor> pick(List<Tensor> scope, Shape[] shapes) {
        List<Tensor> out = new ArrayList<>();
        for (Shape shape : shapes) {
            out.add(new Tensor(shape, source(scope, shape)));
        }
        return out;
    }

    private static ReceptiveField source(List<Tensor> scope, Shape shape) {
        ReceptiveField best = null;
        for (Tensor t : scope) {
            if (t.shape().equals(shape)) {
                best = ReceptiveField.max(best, t.rf());
            }
        }
        if (best == null && ReceptiveField.isSpatial(shape)) {
            for (Tensor t : scope) {
                if (ReceptiveField.isSpatial(t.shape()) && t.shape().get(2) == shape.get(2)
                        && t.shape().get(3) == shape.get(3)) {
                    best = ReceptiveField.max(best, t.rf());
                }
            }
        }
        if (best != null) {
            return best;
        }
        Tensor deepest = null;
        for (Tensor t : scope) {
            if (ReceptiveField.isSpatial(shape) && !ReceptiveField.isSpatial(t.shape())) {
                continue;
            }
            if (deepest == null || t.rf().height() + t.rf().width()
                    > deepest.rf().height() + deepest.rf().width()) {
                deepest = t;
            }
        }
        return deepest == null ? ReceptiveField.INPUT : deepest.rf().estimate(deepest.shape(), shape);
    }

    /** A MacCounted block applies its own kernel to its input: widen the field by that kernel. */
    private static List<Tensor> withOwnKernel(Block block, List<Tensor> inputs, List<Tensor> outputs) {
        Shape kernelBank = null;
        for (Pair<String, Parameter> p : block.getDirectParameters()) {
            Shape s = p.getValue().getShape();
            if (s != null && s.dimension() >= 4) {
                kernelBank = s;
                break;
            }
        }
        if (kernelBank == null || inputs.isEmpty()) {
            return outputs;
        }
        Tensor in = inputs.get(0);
        long kh = kernelBank.get(kernelBank.dimension() - 2);
        long kw = kernelBank.get(kernelBank.dimension() - 1);
        List<Tensor> widened = new ArrayList<>();
        for (Tensor out : outputs) {
            ReceptiveField own = in.rf().estimate(in.shape(), out.shape(), kh, kw);
            widened.add(new Tensor(out.shape(), ReceptiveField.max(out.rf(), own)));
        }
        return widened;
    }

    private static ReceptiveField leafRf(Block block, Tensor in, Shape out) {
        if (block instanceof Conv2d conv && ReceptiveField.isSpatial(in.shape())) {
            Shape k = conv.getKernelShape();
            Shape s = conv.getStride();
            Shape d = conv.getDilation();
            return in.rf().window(k.get(0), k.get(1), at(s, 0), at(s, 1), at(d, 0), at(d, 1));
        }
        long[] window = block instanceof LambdaBlock lambda ? declaredWindow(lambda.getName())
                : block instanceof DataflowBlock ? declaredWindow(block.toString()) : null;
        if (window != null && ReceptiveField.isSpatial(in.shape())) {
            return in.rf().window(window[0], window[0], window[1], window[1], window[2], window[2]);
        }
        return in.rf().estimate(in.shape(), out);
    }

    private static final Pattern DECLARED_WINDOW = Pattern.compile("^[^(]+\\(([^)]*)\\)$");

    /**
     * A lambda block may declare its window in its name, e.g. {@code "maxPool2d(k=3,s=2,p=1)"}
     * (k kernel, s stride, d dilation; p is accepted and not needed): then its receptive field is
     * exact instead of estimated from the sizes. Returns {k, s, d}, or null when not declared.
     */
    static long[] declaredWindow(String name) {
        if (name == null) {
            return null;
        }
        Matcher m = DECLARED_WINDOW.matcher(name.trim());
        if (!m.matches()) {
            return null;
        }
        long[] ksd = {-1, 1, 1};
        for (String part : m.group(1).split(",")) {
            String[] kv = part.trim().split("=");
            if (kv.length != 2) {
                return null;
            }
            long value;
            try {
                value = Long.parseLong(kv[1].trim());
            } catch (NumberFormatException e) {
                return null;
            }
            switch (kv[0].trim()) {
                case "k" -> ksd[0] = value;
                case "s" -> ksd[1] = value;
                case "d" -> ksd[2] = value;
                case "p" -> { }
                default -> {
                    return null;
                }
            }
        }
        return ksd[0] >= 1 && ksd[1] >= 1 && ksd[2] >= 1 ? ksd : null;
    }

    private static long leafMacs(Block block, Shape[] in, Shape[] out) {
        if (in.length == 0 || out.length == 0) {
            return 0;
        }
        Shape weight = weightShape(block);
        if (weight == null) {
            return 0;
        }
        if (block instanceof Conv2d conv) {
            return ConvMath.convMacs(in[0].get(1), conv.getFilters(), weight.get(2), weight.get(3),
                    conv.getGroups(), out[0].get(2), out[0].get(3));
        }
        if (block instanceof Convolution) {
            return perSample(out[0]) * weight.slice(1).size();
        }
        if (block instanceof Deconvolution) {
            // Each input value is scattered through (C_out / groups) × kernel weights.
            return perSample(in[0]) * weight.slice(1).size();
        }
        if (block instanceof Linear) {
            long units = weight.get(0);
            long features = weight.get(1);
            return perSample(out[0]) / units * ConvMath.linearMacs(features, units);
        }
        return 0;
    }

    /** Input checks against an initialized layer's weights, before DJL or the engine sees the shape. */
    private static void checkWeights(String path, Block block, Shape[] in) {
        if (in.length == 0) {
            return;
        }
        Shape x = in[0];
        if (block instanceof Convolution conv) {
            int rank = conv.getKernelShape().dimension() + 2;
            Shape weight = weightShape(block);
            String expected = weight == null ? "rank " + rank
                    : "(N, C=" + weight.get(1) * conv.getGroups() + ", spatial...) of rank " + rank;
            if (x.dimension() != rank
                    || weight != null && x.get(1) != weight.get(1) * conv.getGroups()) {
                throw new IllegalArgumentException(describe(path, block) + ": expected an input of shape "
                        + expected + ", got " + x);
            }
            if (block instanceof Conv2d conv2d) {
                for (int axis = 0; axis < 2; axis++) {
                    try {
                        ConvMath.outputSize(x.get(2 + axis), conv2d.getKernelShape().get(axis),
                                at(conv2d.getStride(), axis), conv2d.getPadding() == null ? 0
                                        : conv2d.getPadding().get(axis), at(conv2d.getDilation(), axis));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException(describe(path, block) + ": input " + x
                                + " is too small: " + e.getMessage(), e);
                    }
                }
            }
        } else if (block instanceof Linear) {
            Shape weight = weightShape(block);
            if (weight != null && (x.dimension() < 2 || x.get(x.dimension() - 1) != weight.get(1))) {
                throw new IllegalArgumentException(describe(path, block) + ": expected an input of shape (N, "
                        + weight.get(1) + "), got " + x);
            }
        } else if (block instanceof BatchNorm) {
            Parameter gamma = direct(block, "gamma");
            if (gamma != null && gamma.getShape() != null
                    && (x.dimension() < 2 || x.get(1) != gamma.getShape().get(0))) {
                throw new IllegalArgumentException(describe(path, block) + ": expected an input of shape (N, C="
                        + gamma.getShape().get(0) + ", ...), got " + x);
            }
        }
    }

    /** A stride or dilation component; DJL leaves them null when not set (meaning 1). */
    private static long at(Shape shape, int axis) {
        return shape == null ? 1 : shape.get(axis);
    }

    private static Shape[] outputShapes(String path, Block block, Shape[] in) {
        Shape[] out;
        try {
            out = block.getOutputShapes(in);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(describe(path, block) + ": cannot take input "
                    + Arrays.toString(in) + ": " + e.getMessage(), e);
        }
        for (Shape s : out) {
            for (int i = 1; i < s.dimension(); i++) {
                if (s.get(i) < 1) {
                    throw new IllegalArgumentException(describe(path, block) + ": input " + Arrays.toString(in)
                            + " is too small, it gives the empty output " + s);
                }
            }
        }
        return out;
    }

    private static Shape weightShape(Block block) {
        Parameter weight = direct(block, "weight");
        return weight == null ? null : weight.getShape();
    }

    private static Parameter direct(Block block, String name) {
        for (Pair<String, Parameter> p : block.getDirectParameters()) {
            if (p.getKey().equals(name)) {
                return p.getValue();
            }
        }
        return null;
    }

    /** Learnable direct parameters of a block (all, or only those requiring a gradient). */
    private static long ownParams(Block block, boolean trainableOnly) {
        long total = 0;
        for (Pair<String, Parameter> pair : block.getDirectParameters()) {
            Parameter p = pair.getValue();
            if (Layers.isRunningStatistic(p) || p.getShape() == null
                    || trainableOnly && !p.requiresGradient()) {
                continue;
            }
            total += p.getShape().size();
        }
        return total;
    }

    private static long perSample(Shape shape) {
        return shape.dimension() == 0 || shape.get(0) < 1 ? shape.size() : shape.size() / shape.get(0);
    }

    private static Shape[] shapes(List<Tensor> tensors) {
        Shape[] out = new Shape[tensors.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = tensors.get(i).shape();
        }
        return out;
    }

    private static List<long[]> displayShapes(Shape[] shapes) {
        List<long[]> out = new ArrayList<>();
        for (Shape s : shapes) {
            out.add(displayShape(s));
        }
        return out;
    }

    private static long[] displayShape(Shape shape) {
        long[] dims = shape.getShape().clone();
        if (dims.length > 0) {
            dims[0] = -1;
        }
        return dims;
    }

    private static String join(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    private static String describe(String path, Block block) {
        return "ModelSummary: layer '" + path + "' (" + typeName(block) + ")";
    }

    /** Parameter-free ops that stand in for PyTorch's functional calls: lambdas, ReLU, max pool, global pool, identity. */
    static boolean isFunctional(Block block) {
        return block instanceof LambdaBlock || block instanceof ReluBlock || block instanceof MaxPool2d
                || block instanceof GlobalAvgPool || block instanceof Identity;
    }

    /** Class simple name, or a lambda block's function name ("maxPool2d" → "MaxPool2d"). */
    static String typeName(Block block) {
        if (block instanceof ReluBlock) {
            return "ReLU";
        }
        if (block instanceof LambdaBlock lambda) {
            String name = lambda.getName();
            if (name == null || name.isEmpty() || LambdaBlock.DEFAULT_NAME.equals(name)) {
                return "Lambda";
            }
            int window = name.indexOf('(');
            if (window > 0) {
                name = name.substring(0, window);
            }
            int synthetic = name.indexOf("$$");
            if (synthetic > 0) {
                name = name.substring(0, synthetic);
            }
            return Character.toUpperCase(name.charAt(0)) + name.substring(1);
        }
        String simple = block.getClass().getSimpleName();
        if (simple.isEmpty()) {
            String full = block.getClass().getName();
            simple = full.substring(full.lastIndexOf('.') + 1);
        }
        return simple;
    }

    // ---------------------------------------------------------------- results

    /** Input shape as summarized, batch -1. */
    public long[] inputShape() {
        return inputShape.clone();
    }

    /** All leaf rows (plus own-parameter rows of composites), in forward order. */
    public List<LayerRow> layers() {
        return rows;
    }

    /** Rows down to {@code maxDepth}: each composite at that depth collapsed into one row. */
    public List<LayerRow> layers(int maxDepth) {
        List<LayerRow> out = new ArrayList<>();
        int i = 0;
        while (i < rows.size()) {
            LayerRow row = rows.get(i);
            Group group = row.depth() > maxDepth ? groupAt(maxDepth, i) : null;
            if (group == null) {
                out.add(row);
                i++;
                continue;
            }
            long p = 0;
            long t = 0;
            long m = 0;
            long a = 0;
            boolean functional = true;
            for (LayerRow r : rows.subList(group.first(), group.end())) {
                p += r.params();
                t += r.trainableParams();
                m += r.macs();
                a += r.auxiliaryMacs();
                functional &= r.functional();
            }
            out.add(new LayerRow(group.name(), group.type(), group.outputShapes(), p, t, m, a,
                    group.receptiveField().roundedHeight(), group.receptiveField().roundedWidth(),
                    functional, group.depth()));
            i = group.end();
        }
        return out;
    }

    private Group groupAt(int depth, int rowIndex) {
        for (Group g : groups) {
            if (g.depth() == depth && g.first() <= rowIndex && rowIndex < g.end()) {
                return g;
            }
        }
        return null;
    }

    /** Total learnable parameters (sum of the rows). */
    public long params() {
        return params;
    }

    /**
     * Learnable parameters of blocks the forward does not reach at this input (a training-only
     * auxiliary head), not in {@link #params()}.
     */
    public long paramsOutsideForward() {
        return paramsOutsideForward;
    }

    /** Parameters that require a gradient. */
    public long trainableParams() {
        return trainableParams;
    }

    /** Parameters that do not require a gradient. */
    public long nonTrainableParams() {
        return params - trainableParams;
    }

    /** Conv and linear MACs per sample (own MACs of MacCounted blocks included). */
    public long macs() {
        return macs;
    }

    /** Auxiliary MACs per sample (e.g. dynamic conv kernel mixing), not included in {@link #macs()}. */
    public long auxiliaryMacs() {
        return auxiliaryMacs;
    }

    /** Samples the sizes are for: the input shape's batch (-1 counts as 1). */
    public long batch() {
        return batch;
    }

    /** The float32 input of the whole batch in MB (1024²). */
    public double inputSizeMb() {
        long n = batch;
        for (int i = 1; i < inputShape.length; i++) {
            n *= inputShape[i];
        }
        return n * BYTES_PER_VALUE / MIB;
    }

    /** 2 × output elements of the counted rows (values and gradients) for the whole batch, float32, in MB. */
    public double forwardBackwardSizeMb() {
        return 2.0 * countedOutputElements * batch * BYTES_PER_VALUE / MIB;
    }

    /** Parameters as float32 in MB. */
    public double paramsSizeMb() {
        return params * BYTES_PER_VALUE / MIB;
    }

    /** Input + forward/backward + params, in MB. */
    public double totalSizeMb() {
        return paramsSizeMb() + forwardBackwardSizeMb() + inputSizeMb();
    }

    /** Python's "%0.2f": the exact binary value rounded half-even (Java's %.2f rounds half-up). */
    static String mb(double value) {
        return new BigDecimal(value).setScale(2, RoundingMode.HALF_EVEN).toPlainString();
    }

    private static String count(long value) {
        return String.format(Locale.US, "%,d", value);
    }

    /** The torchsummary table, with MACs, receptive field and name columns added. */
    @Override
    public String toString() {
        List<String> lines = new ArrayList<>();
        List<LayerRow> shown = layers(options.maxDepth);
        boolean functionalShown = false;
        int index = 0;
        for (LayerRow row : shown) {
            if (row.functional() && !options.showFunctional) {
                continue;
            }
            index++;
            boolean mark = row.functional() && !options.countFunctionalOutputs;
            functionalShown |= mark;
            lines.add(String.format(Locale.ROOT, ROW_FORMAT, row.type() + "-" + index, row.outputShapeText(),
                    count(row.params()), count(row.macs()), row.receptiveFieldText(),
                    row.name() + (mark ? " *" : "")));
        }
        String header = String.format(Locale.ROOT, ROW_FORMAT, "Layer (type)", "Output Shape", "Param #",
                "MACs", "RF", "Name");
        int width = 64;
        for (String line : lines) {
            width = Math.max(width, line.length());
        }
        width = Math.max(width, header.length());
        String dashes = "-".repeat(width);
        String equals = "=".repeat(width);
        StringBuilder sb = new StringBuilder();
        sb.append(dashes).append('\n').append(header).append('\n').append(equals).append('\n');
        for (String line : lines) {
            sb.append(line).append('\n');
        }
        sb.append(equals).append('\n');
        sb.append("Total params: ").append(count(params)).append('\n');
        sb.append("Trainable params: ").append(count(trainableParams)).append('\n');
        sb.append("Non-trainable params: ").append(count(nonTrainableParams())).append('\n');
        if (paramsOutsideForward > 0) {
            sb.append("Params outside the forward (not in the total): ").append(count(paramsOutsideForward))
                    .append('\n');
        }
        sb.append("Total MACs: ").append(count(macs)).append('\n');
        sb.append("Auxiliary MACs: ").append(count(auxiliaryMacs)).append('\n');
        sb.append(dashes).append('\n');
        sb.append("Input size (MB): ").append(mb(inputSizeMb())).append('\n');
        sb.append("Forward/backward pass size (MB): ").append(mb(forwardBackwardSizeMb())).append('\n');
        sb.append("Params size (MB): ").append(mb(paramsSizeMb())).append('\n');
        sb.append("Estimated Total Size (MB): ").append(mb(totalSizeMb())).append('\n');
        sb.append(dashes).append('\n');
        sb.append("Input ").append(LayerRow.format(inputShape))
                .append("; MACs per sample; RF = receptive field in input pixels "
                        + "(exact along chains, an upper bound where branches merge).\n");
        if (functionalShown) {
            sb.append("* functional op (DJL LambdaBlock, ReLU): not counted in the forward/backward pass size.\n");
        }
        return sb.toString();
    }

    /** The summary as JSON: totals, sizes in MB (unrounded) and every row. */
    public String toJson() {
        JsonObject root = new JsonObject();
        root.add("inputShape", array(inputShape));
        root.addProperty("params", params);
        root.addProperty("trainableParams", trainableParams);
        root.addProperty("nonTrainableParams", nonTrainableParams());
        root.addProperty("paramsOutsideForward", paramsOutsideForward);
        root.addProperty("macs", macs);
        root.addProperty("auxiliaryMacs", auxiliaryMacs);
        root.addProperty("batch", batch);
        root.addProperty("inputSizeMb", inputSizeMb());
        root.addProperty("forwardBackwardSizeMb", forwardBackwardSizeMb());
        root.addProperty("paramsSizeMb", paramsSizeMb());
        root.addProperty("totalSizeMb", totalSizeMb());
        JsonArray layers = new JsonArray();
        for (LayerRow row : rows) {
            JsonObject o = new JsonObject();
            o.addProperty("name", row.name());
            o.addProperty("type", row.type());
            o.add("outputShape", array(row.outputShapes().get(0)));
            if (row.outputShapes().size() > 1) {
                JsonArray all = new JsonArray();
                row.outputShapes().forEach(s -> all.add(array(s)));
                o.add("outputShapes", all);
            }
            o.addProperty("params", row.params());
            o.addProperty("trainableParams", row.trainableParams());
            o.addProperty("macs", row.macs());
            o.addProperty("auxiliaryMacs", row.auxiliaryMacs());
            o.addProperty("receptiveField", row.receptiveField());
            o.add("receptiveFieldHW", array(new long[] {row.receptiveFieldHeight(), row.receptiveFieldWidth()}));
            o.addProperty("functional", row.functional());
            o.addProperty("depth", row.depth());
            layers.add(o);
        }
        root.add("layers", layers);
        return new GsonBuilder().setPrettyPrinting().create().toJson(root);
    }

    private static JsonArray array(long[] values) {
        JsonArray a = new JsonArray();
        for (long v : values) {
            a.add(v);
        }
        return a;
    }
}
