package io.convzoo.zoo.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.training.initializer.UniformInitializer;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import io.convzoo.blocks.ChildNames;
import io.convzoo.blocks.DataflowBlock;
import java.util.ArrayList;
import java.util.List;

/**
 * Adapting a (pretrained or fresh) model to a new task: a new classifier head for N classes, a
 * first conv for another number of input channels, and copying weights between two builds of an
 * architecture. Children are found by their plain names ("fc", "conv1", or dotted paths such as
 * "head.fc"), as zoo models name them after the official PyTorch modules.
 *
 * <p><b>Input channels.</b> A pretrained first conv for C channels becomes one for C' channels as
 * follows: C' = 1 sums the kernels over the C input channels, so a grayscale image gives exactly
 * the response the pretrained conv gives to that image replicated to C channels (for the same
 * normalized values); otherwise channel j takes kernel {@code j mod C} scaled by C/C', which keeps
 * the expected activation magnitude.
 *
 * <p>Replacing a child works on blocks whose forward runs their children from DJL's child list
 * (NamedSequential, SequentialBlock and the zoo's roots). For zoo models, rebuilding the
 * architecture with the new arguments and {@link #transferWeights} is the safer route: it also
 * updates input-channel checks kept by the model's root.
 */
public final class ModelSurgery {

    private ModelSurgery() {}

    /** What {@link #transferWeights} did, by parameter path. */
    public record TransferReport(List<String> copied, List<String> adapted, List<String> kept) {}

    /** The child at a dotted path of plain names, e.g. "fc" or "layer1.0.conv1". */
    public static Block child(Block root, String path) {
        Block current = root;
        for (String name : path.split("\\.")) {
            Block next = null;
            PairList<String, Block> children = current.getChildren();
            for (int i = 0; i < children.size() && next == null; i++) {
                if (ChildNames.name(children.keyAt(i), i).equals(name)) {
                    next = children.valueAt(i);
                }
            }
            if (next == null) {
                throw new IllegalArgumentException("no child '" + name + "' (path '" + path + "') in "
                        + current.getClass().getSimpleName() + "; children: " + plainNames(current));
            }
            current = next;
        }
        return current;
    }

    /** The parameters of the child at {@code path}. */
    public static List<Parameter> parametersOf(Block root, String path) {
        List<Parameter> out = new ArrayList<>();
        for (Pair<String, Parameter> p : child(root, path).getParameters()) {
            out.add(p.getValue());
        }
        return out;
    }

    /** Every parameter of {@code root} outside the child at {@code path} (the "backbone" of a head). */
    public static List<Parameter> parametersOutside(Block root, String path) {
        java.util.Set<String> inside = new java.util.HashSet<>();
        for (Parameter p : parametersOf(root, path)) {
            inside.add(p.getId());
        }
        List<Parameter> out = new ArrayList<>();
        for (Pair<String, Parameter> p : root.getParameters()) {
            if (!inside.contains(p.getValue().getId())) {
                out.add(p.getValue());
            }
        }
        return out;
    }

    /**
     * Replaces the Linear classifier at {@code path} (usually "fc") by a fresh one with
     * {@code numClasses} outputs, initialized as PyTorch's nn.Linear (uniform ±1/sqrt(in)); the
     * rest of the model is untouched. Returns the new head.
     */
    public static Linear replaceHead(Block model, String path, int numClasses, NDManager manager) {
        if (numClasses < 1) {
            throw new IllegalArgumentException("numClasses must be >= 1, got " + numClasses);
        }
        Block old = child(model, path);
        if (!(old instanceof Linear)) {
            throw new IllegalArgumentException("'" + path + "' is a " + old.getClass().getSimpleName()
                    + ", not a Linear classifier");
        }
        Parameter oldWeight = old.getParameters().get("weight");
        if (oldWeight.getArray() == null) {
            throw new IllegalStateException("initialize the model before replacing its head");
        }
        long inFeatures = oldWeight.getArray().getShape().get(1);
        Linear head = Linear.builder().setUnits(numClasses).optBias(old.getParameters().contains("bias")).build();
        head.setInitializer(new UniformInitializer((float) (1 / Math.sqrt(inFeatures))), p -> true);
        head.initialize(manager, DataType.FLOAT32, new Shape(1, inFeatures));
        replaceChild(model, path, head);
        return head;
    }

    /**
     * Replaces the Conv2d at {@code path} (usually "conv1") by one with {@code channels} input
     * channels and the same filters, kernel, stride, padding, dilation, groups and bias; its weights
     * come from the old ones by {@link #adaptInputKernel}. Returns the new conv.
     */
    public static Conv2d replaceInputConv(Block model, String path, int channels, NDManager manager) {
        Block old = child(model, path);
        if (!(old instanceof Conv2d conv)) {
            throw new IllegalArgumentException("'" + path + "' is a " + old.getClass().getSimpleName()
                    + ", not a Conv2d");
        }
        NDArray weight = conv.getParameters().get("weight").getArray();
        if (weight == null) {
            throw new IllegalStateException("initialize the model before replacing its first conv");
        }
        if (conv.getGroups() != 1) {
            throw new IllegalArgumentException("'" + path + "' is a grouped conv (groups " + conv.getGroups()
                    + "); only groups = 1 input convs can change their channel count");
        }
        Conv2d fresh = Conv2d.builder().setFilters(conv.getFilters()).setKernelShape(conv.getKernelShape())
                .optStride(conv.getStride()).optPadding(conv.getPadding()).optDilation(conv.getDilation())
                .optGroups(1).optBias(conv.isIncludeBias()).build();
        Shape k = conv.getKernelShape();
        fresh.initialize(manager, DataType.FLOAT32,
                new Shape(1, channels, Math.max(8, k.get(0) * 2), Math.max(8, k.get(1) * 2)));
        try (NDArray kernel = adaptInputKernel(weight, channels)) {
            fresh.getParameters().get("weight").getArray().set(kernel.toByteBuffer());
        }
        if (conv.isIncludeBias()) {
            fresh.getParameters().get("bias").getArray().set(conv.getParameters().get("bias").getArray().toByteBuffer());
        }
        replaceChild(model, path, fresh);
        return fresh;
    }

    /**
     * A (O, C, kh, kw) kernel adapted to {@code channels} inputs: summed over C for one channel,
     * else channel j = kernel (j mod C) × C/channels. Unchanged when channels == C.
     */
    public static NDArray adaptInputKernel(NDArray weight, int channels) {
        if (channels < 1) {
            throw new IllegalArgumentException("input channels must be >= 1, got " + channels);
        }
        Shape s = weight.getShape();
        if (s.dimension() != 4) {
            throw new IllegalArgumentException("expected a (O, C, kh, kw) conv kernel, got " + s);
        }
        long c = s.get(1);
        if (channels == c) {
            return weight.duplicate();
        }
        if (channels == 1) {
            return weight.sum(new int[] {1}, true);
        }
        NDList parts = new NDList();
        for (int j = 0; j < channels; j++) {
            parts.add(weight.get(":, {}:{}", j % c, j % c + 1));
        }
        return NDArrays.concat(parts, 1).mul((float) c / channels);
    }

    /**
     * Copies into {@code target} every parameter of {@code source} with the same path and shape;
     * an input conv whose shapes differ only in the input channels (dimension 1) is adapted with
     * {@link #adaptInputKernel}; everything else (e.g. a head for another class count) keeps
     * target's values. Both blocks must be initialized. Typical use: a pretrained ImageNet model
     * as source, the same architecture built for 10 classes and 1 channel as target.
     */
    public static TransferReport transferWeights(Block source, Block target) {
        var src = source.getParameters();
        List<String> copied = new ArrayList<>();
        List<String> adapted = new ArrayList<>();
        List<String> kept = new ArrayList<>();
        for (Pair<String, Parameter> p : target.getParameters()) {
            Parameter from = src.get(p.getKey());
            NDArray dst = p.getValue().getArray();
            if (from == null || from.getArray() == null || dst == null) {
                kept.add(p.getKey());
                continue;
            }
            NDArray value = from.getArray();
            Shape a = value.getShape();
            Shape b = dst.getShape();
            if (a.equals(b)) {
                dst.set(value.toType(dst.getDataType(), false).toByteBuffer());
                copied.add(p.getKey());
            } else if (a.dimension() == 4 && b.dimension() == 4 && a.get(0) == b.get(0) && a.get(2) == b.get(2)
                    && a.get(3) == b.get(3)) {
                try (NDArray adaptedKernel = adaptInputKernel(value, (int) b.get(1))) {
                    dst.set(adaptedKernel.toByteBuffer());
                }
                adapted.add(p.getKey());
            } else {
                kept.add(p.getKey());
            }
        }
        return new TransferReport(copied, adapted, kept);
    }

    /** Replaces the child at a dotted path by {@code replacement}, keeping its name and position. */
    public static void replaceChild(Block root, String path, Block replacement) {
        int dot = path.lastIndexOf('.');
        Block parent = dot < 0 ? root : child(root, path.substring(0, dot));
        String name = dot < 0 ? path : path.substring(dot + 1);
        if (!(parent instanceof DataflowBlock composite)) {
            throw new IllegalArgumentException("cannot replace '" + path + "': its parent "
                    + parent.getClass().getSimpleName() + " is not a ConvZoo composite block; children: "
                    + plainNames(parent));
        }
        composite.replaceChild(name, replacement);
    }

    private static List<String> plainNames(Block block) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < block.getChildren().size(); i++) {
            names.add(ChildNames.name(block, i));
        }
        return names;
    }
}
