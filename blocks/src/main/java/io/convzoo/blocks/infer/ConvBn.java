package io.convzoo.blocks.infer;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import io.convzoo.blocks.ForwardArrays;
import io.convzoo.blocks.NamedSequential;
import io.convzoo.blocks.dynamic.DynamicConv2d;
import io.convzoo.blocks.conv.GroupedConvForms;
import io.convzoo.blocks.pyconv.PyConv;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.WeakHashMap;
import java.util.function.Supplier;

/**
 * A convolution followed by its BatchNorm, the pair every family is made of, with an optional
 * inference preparation: once {@link #enableFolding(Block)} has been called on a model, an eval-mode
 * forward of a pair runs ONE convolution whose weight and bias have the BatchNorm folded in
 * ({@code w' = w·γ/√(σ²+ε)}, {@code b' = β + (b - μ)·γ/√(σ²+ε)}), instead of a conv and a
 * separate BatchNorm pass over the activations. The model's parameters are not changed: the folded
 * arrays are kept aside, made lazily at the first eval forward, and remade whenever a parameter array
 * is replaced (loading weights) or after any training-mode forward through the pair (in-place
 * optimizer updates). {@link #disableFolding(Block)} drops them.
 *
 * <p>Supported convs: DJL {@link Conv2d} (with or without bias), {@link PyConv} (the BatchNorm is
 * split by level), {@link DynamicConv2d} (the scale goes into every kernel of the bank, the
 * shift is added to the mixed bias) and, through {@link #summedPaths}, convs whose outputs are summed
 * before the BatchNorm (an OctConv's paths). Anything else simply runs conv then BatchNorm.
 */
public final class ConvBn {

    /** BatchNorms (by identity) whose pair may be folded, with their folded conv once made. */
    private static final Map<Block, Folded[]> ENABLED = Collections.synchronizedMap(new WeakHashMap<>());

    private static final Folded[] NOT_YET = new Folded[0];

    private ConvBn() {}

    /** conv then bn; in eval mode, one folded conv when folding is enabled for {@code bn}. */
    public static NDArray forward(Block conv, Block bn, ParameterStore ps, NDArray x, boolean training,
                                  PairList<String, Object> params) {
        if (!ENABLED.isEmpty()) {
            if (training) {
                invalidate(bn);
            } else {
                Folded f = folded(conv, bn, x.getDevice());
                if (f != null) {
                    try {
                        return f.apply(ps, x, params);
                    } finally {
                        done(f);
                    }
                }
            }
        }
        NDArray y = conv.forward(ps, new NDList(x), training, params).head();
        return bn.forward(ps, new NDList(y), training, params).head();
    }

    /**
     * For convs whose outputs are SUMMED before {@code bn} (an OctConv's paths into one frequency):
     * in an eval-mode forward with folding enabled for {@code bn}, the paths with the BatchNorm folded
     * in (every path's weight scaled, the shift added once, to the first path's bias); otherwise null,
     * and the caller runs its convs and {@code bn} as usual. A training-mode call drops any folded copy.
     * The caller hands a non-null result back to {@link #done} once its paths have run.
     */
    public static SummedPaths summedPaths(List<Conv2d> paths, Block bn, boolean training, Device device) {
        if (ENABLED.isEmpty()) {
            return null;
        }
        if (training) {
            invalidate(bn);
            return null;
        }
        return foldedOrNull(bn, device, () -> Folded.make(paths, null, true, (BatchNorm) bn, device));
    }

    /** Ends a use of {@link #summedPaths}' result: folded arrays dropped meanwhile are freed by their last user. */
    public static void done(SummedPaths paths) {
        if (paths instanceof Folded f) {
            done(f);
        }
    }

    /** Convs with one BatchNorm folded into them whose outputs the caller sums, see {@link #summedPaths}. */
    public interface SummedPaths {
        /** {@code path}'s folded conv of {@code x} (the BatchNorm's shift included only for the first path). */
        NDArray apply(Conv2d path, NDArray x);
    }

    /**
     * The inference preparation pass: allows folding for every BatchNorm under {@code root}
     * (pairs run through {@link #forward} or {@link FoldingSequential}); calling it again refolds
     * from the current parameter values. Returns how many.
     */
    public static int enableFolding(Block root) {
        int n = 0;
        if (root instanceof BatchNorm) {
            synchronized (ENABLED) {
                release(ENABLED.put(root, NOT_YET));
            }
            n++;
        }
        for (Pair<String, Block> child : root.getChildren()) {
            n += enableFolding(child.getValue());
        }
        return n;
    }

    /** Undoes {@link #enableFolding}: plain conv + BatchNorm again, folded arrays released. */
    public static void disableFolding(Block root) {
        if (root instanceof BatchNorm) {
            synchronized (ENABLED) {
                release(ENABLED.remove(root));
            }
        }
        for (Pair<String, Block> child : root.getChildren()) {
            disableFolding(child.getValue());
        }
    }

    /**
     * Drops the folded arrays under {@code root}, and the TorchScript module of a scripted root
     * ({@link io.convzoo.blocks.script.ScriptedForward}), so that the next eval forward uses the current
     * parameter values again. Needed after parameter values were changed IN PLACE outside a training
     * forward (e.g. a weight loader writing into the existing arrays); replaced arrays and
     * training-mode forwards are detected without it.
     */
    public static void refresh(Block root) {
        dropFolded(root);
        if (root instanceof NamedSequential seq && seq.getScriptedForward() != null) {
            seq.getScriptedForward().invalidate(); // its module holds copies of the parameters too
        }
    }

    /**
     * Frees the folded arrays under {@code root}; folding stays enabled and the next block-by-block
     * eval forward makes them again. A scripted model calls it once its TorchScript module holds the
     * folded weights, so that they are not kept twice.
     */
    public static void dropFolded(Block root) {
        if (root instanceof BatchNorm) {
            invalidate(root);
        }
        for (Pair<String, Block> child : root.getChildren()) {
            dropFolded(child.getValue());
        }
    }

    /** How many BatchNorms under {@code root} currently run folded into their conv. */
    public static int foldedCount(Block root) {
        int n = 0;
        if (root instanceof BatchNorm) {
            Folded[] f = ENABLED.get(root);
            n += f != null && f.length == 1 ? 1 : 0;
        }
        for (Pair<String, Block> child : root.getChildren()) {
            n += foldedCount(child.getValue());
        }
        return n;
    }

    /** Whether folding is enabled for this BatchNorm. */
    public static boolean isFoldingEnabled(Block bn) {
        return ENABLED.containsKey(bn);
    }

    /**
     * The folded conv(s) of {@code bn}'s pair as the prepared eval forward runs them on {@code device},
     * or null when that forward has not folded it (folding off, not foldable, not made yet, or stale).
     * The arrays stay owned by the pair; a script of the model refers to them ({@code ScriptWriter}).
     */
    public static FoldedPair foldedPair(Block bn, Device device) {
        Folded[] f = ENABLED.get(bn);
        if (f == null || f.length != 1 || !f[0].isCurrent(device)) {
            return null;
        }
        Folded folded = f[0];
        return new FoldedPair(folded.convs, folded.weights, folded.biases, folded.groups, folded.dynamic);
    }

    /**
     * A pair's folded arrays. Static convs: {@code weights.get(i)}, {@code biases.get(i)} (may be null)
     * and {@code groups.get(i)} replace {@code convs.get(i)} (the levels of a PyConv, concatenated; or
     * an OctConv's summed paths, the shift in the first path's bias). Dynamic conv: {@code weights} is
     * the scaled bank (K, rest) then, when the conv has biases, the scaled biases (K, out), and
     * {@code biases.get(0)} the shift added after mixing.
     */
    public record FoldedPair(List<Conv2d> convs, List<NDArray> weights, List<NDArray> biases, List<Integer> groups,
                             DynamicConv2d dynamic) { }

    /** A BatchNorm's epsilon (DJL keeps it private), or null where it cannot be read. */
    public static Float epsilon(BatchNorm bn) {
        return BatchNormFields.epsilon(bn);
    }

    private static void invalidate(Block bn) {
        synchronized (ENABLED) {
            Folded[] f = ENABLED.get(bn);
            if (f != null && f.length > 0) {
                ENABLED.put(bn, NOT_YET);
                release(f);
            }
        }
    }

    /**
     * Drops folded arrays (under ENABLED's lock). Ones still in use by a forward on another thread
     * (weights reloaded or a training step beside a predicting thread) are freed by their last user.
     */
    private static void release(Folded[] folded) {
        if (folded != null) {
            for (Folded f : folded) {
                f.retired = true;
                if (f.users == 0) {
                    f.close();
                }
            }
        }
    }

    private static void done(Folded f) {
        synchronized (ENABLED) {
            f.users--;
            if (f.retired && f.users == 0) {
                f.close();
            }
        }
    }

    private static Folded folded(Block conv, Block bn, Device device) {
        return foldedOrNull(bn, device, () -> Folded.make(conv, (BatchNorm) bn, device));
    }

    private static Folded foldedOrNull(Block bn, Device device, Supplier<Folded> maker) {
        synchronized (ENABLED) {
            Folded[] cached = ENABLED.get(bn);
            if (cached == null) {
                return null;
            }
            if (cached.length == 1 && cached[0].isCurrent(device)) {
                cached[0].users++;
                return cached[0];
            }
            release(cached);
            Folded f = maker.get();
            ENABLED.put(bn, f == null ? NOT_YET : new Folded[] {f});
            if (f != null) {
                f.users++;
            }
            return f;
        }
    }

    /** One folded conv (or several, for the levels of a PyConv) and the parameter arrays it came from. */
    private static final class Folded implements SummedPaths {
        /** Forwards running with these arrays, and whether they were dropped; guarded by ENABLED. */
        private int users;
        private boolean retired;
        private final List<Conv2d> convs;
        /** Groups each folded weight is run with: 1 where it was spread into a dense kernel. */
        private final List<Integer> groups;
        private final DynamicConv2d dynamic;
        private final List<NDArray> weights;
        private final List<NDArray> biases;
        private final List<NDArray> sources;
        private final List<Parameter> sourceParams;
        private final Device device;

        private Folded(DynamicConv2d dynamic, List<NDArray> weights, List<NDArray> biases,
                       List<Parameter> sourceParams, Device device) {
            this(List.of(), List.of(), dynamic, weights, biases, sourceParams, device);
        }

        private Folded(List<Conv2d> convs, List<Integer> groups, List<NDArray> weights, List<NDArray> biases,
                       List<Parameter> sourceParams, Device device) {
            this(convs, groups, null, weights, biases, sourceParams, device);
        }

        private Folded(List<Conv2d> convs, List<Integer> groups, DynamicConv2d dynamic, List<NDArray> weights,
                       List<NDArray> biases, List<Parameter> sourceParams, Device device) {
            weights.forEach(ForwardArrays::keep);
            biases.stream().filter(Objects::nonNull).forEach(ForwardArrays::keep);
            this.convs = convs;
            this.groups = groups;
            this.dynamic = dynamic;
            this.weights = weights;
            this.biases = biases;
            this.sourceParams = sourceParams;
            this.sources = new ArrayList<>();
            for (Parameter p : sourceParams) {
                sources.add(p.getArray());
            }
            this.device = device;
        }

        static Folded make(Block conv, BatchNorm bn, Device device) {
            if (conv instanceof DynamicConv2d d) {
                return make(List.of(), d, false, bn, device);
            } else if (conv instanceof Conv2d c) {
                return make(List.of(c), null, false, bn, device);
            } else if (conv instanceof PyConv p) {
                List<Conv2d> convs = new ArrayList<>();
                for (int i = 0; i < p.getLevels().size(); i++) {
                    convs.add((Conv2d) p.getLevelConv(i));
                }
                return make(convs, null, false, bn, device);
            }
            return null;
        }

        /**
         * @param convs static convs: each covers a slice of the BatchNorm's channels in order (their
         *              outputs concatenated, as a PyConv's levels), or, when {@code summed}, all of them
         * @param dynamic a dynamic conv instead of {@code convs}, or null
         */
        static Folded make(List<Conv2d> convs, DynamicConv2d dynamic, boolean summed, BatchNorm bn,
                                   Device device) {
            Float eps = BatchNormFields.epsilon(bn);
            if (eps == null || !BatchNormFields.isPlainChannelNorm(bn)) {
                return null;
            }
            Parameter gamma = bn.getParameters().get("gamma");
            Parameter beta = bn.getParameters().get("beta");
            Parameter mean = bn.getParameters().get("runningMean");
            Parameter var = bn.getParameters().get("runningVar");
            List<Parameter> sourceParams = new ArrayList<>(List.of(gamma, beta, mean, var));
            List<Block> weighted = dynamic != null ? List.of(dynamic) : new ArrayList<>(convs);
            for (Block c : weighted) {
                Parameter w = c.getParameters().get("weight");
                if (!w.isInitialized() || !w.getArray().getDevice().equals(device)) {
                    return null;
                }
                sourceParams.add(w);
                if (c.getParameters().contains("bias")) {
                    sourceParams.add(c.getParameters().get("bias"));
                }
            }
            for (Parameter p : sourceParams) {
                if (!p.isInitialized()) {
                    return null;
                }
            }
            // Made in a scope of the weights' manager; only the folded arrays are kept (attached to
            // the model's manager, so closing the model frees them too).
            NDManager owner = gamma.getArray().getManager();
            List<NDArray> weights = new ArrayList<>();
            List<NDArray> biases = new ArrayList<>();
            List<Integer> effectiveGroups = new ArrayList<>();
            try (NDManager scope = owner.newSubManager()) {
                NDArray scale = copyInto(gamma, scope).div(copyInto(var, scope).add(eps).sqrt());
                NDArray shift = copyInto(beta, scope).sub(copyInto(mean, scope).mul(scale));
                if (dynamic != null) {
                    // Bank (K, out, in/g, k, k) scaled per output channel; the shift is added after mixing.
                    NDArray bank = dynamic.getParameters().get("weight").getArray();
                    long k = bank.getShape().get(0);
                    long out = bank.getShape().get(1);
                    NDArray scaledBank = scale.reshape(1, out, 1, 1, 1).mul(bank).reshape(k, -1);
                    NDArray scaledBias = dynamic.getParameters().contains("bias")
                            ? scale.reshape(1, out).mul(dynamic.getParameters().get("bias").getArray()) : null;
                    NDArray keptShift = shift.add(0f);
                    scaledBank.attach(owner);
                    keptShift.attach(owner);
                    weights.add(scaledBank);
                    biases.add(keptShift);
                    if (scaledBias != null) {
                        scaledBias.attach(owner);
                        weights.add(scaledBias);
                    }
                    return new Folded(dynamic, weights, biases, sourceParams, device);
                }
                long start = 0;
                for (int i = 0; i < convs.size(); i++) {
                    Conv2d c = convs.get(i);
                    NDArray w = c.getParameters().get("weight").getArray();
                    long out = w.getShape().get(0);
                    // Summed paths all cover every channel, and only the first adds the shift.
                    NDArray s = summed ? scale : scale.get(start + ":" + (start + out));
                    NDArray b = summed ? (i == 0 ? shift : null) : shift.get(start + ":" + (start + out));
                    NDArray folded = s.reshape(out, 1, 1, 1).mul(w);
                    int groups = c.getGroups();
                    if (GroupedConvForms.formFor(device, w.getShape(), groups, false)
                            == GroupedConvForms.Form.BLOCK_DIAGONAL) {
                        folded = GroupedConvForms.expand(folded, groups);
                        groups = 1;
                    }
                    effectiveGroups.add(groups);
                    NDArray bias = c.isIncludeBias() ? s.mul(c.getParameters().get("bias").getArray()) : null;
                    bias = b == null ? bias : bias == null ? b.add(0f) : bias.add(b);
                    folded.attach(owner);
                    if (bias != null) {
                        bias.attach(owner);
                    }
                    weights.add(folded);
                    biases.add(bias);
                    start += out;
                }
            }
            return new Folded(convs, effectiveGroups, weights, biases, sourceParams, device);
        }

        private static NDArray copyInto(Parameter p, NDManager scope) {
            NDArray copy = p.getArray().duplicate();
            copy.attach(scope);
            return copy;
        }

        boolean isCurrent(Device d) {
            if (!device.equals(d) || weights.get(0).isReleased()) {
                return false;
            }
            for (int i = 0; i < sources.size(); i++) {
                Parameter p = sourceParams.get(i);
                if (!p.isInitialized() || p.getArray() != sources.get(i)) {
                    return false;
                }
            }
            return true;
        }

        NDArray apply(ParameterStore ps, NDArray x, PairList<String, Object> params) {
            if (dynamic != null) {
                return dynamic.forwardFolded(ps, x, weights.get(0), weights.size() > 1 ? weights.get(1) : null,
                        biases.get(0), params);
            }
            if (convs.size() == 1) {
                return conv(0, x);
            }
            NDList outs = new NDList(convs.size());
            for (int i = 0; i < convs.size(); i++) {
                outs.add(conv(i, x));
            }
            return NDArrays.concat(outs, 1);
        }

        @Override
        public NDArray apply(Conv2d path, NDArray x) {
            return conv(convs.indexOf(path), x);
        }

        private NDArray conv(int i, NDArray x) {
            Conv2d c = convs.get(i);
            return GroupedConvForms.conv2d(x, weights.get(i), biases.get(i), c.getStride(), c.getPadding(),
                    c.getDilation(), groups.get(i), false);
        }

        void close() {
            weights.forEach(NDArray::close);
            biases.stream().filter(Objects::nonNull).forEach(NDArray::close);
        }
    }

    /** BatchNorm's epsilon, axis and affine flags, which DJL keeps private. */
    private static final class BatchNormFields {
        private static Object read(BatchNorm bn, String name) {
            try {
                Field f = BatchNorm.class.getDeclaredField(name);
                f.setAccessible(true);
                return f.get(bn);
            } catch (ReflectiveOperationException | RuntimeException e) {
                return null;
            }
        }

        static Float epsilon(BatchNorm bn) {
            Object v = read(bn, "epsilon");
            return v instanceof Float f ? f : null;
        }

        /** Channel axis 1 with both gamma and beta: the only layout folded. */
        static boolean isPlainChannelNorm(BatchNorm bn) {
            return Integer.valueOf(1).equals(read(bn, "axis")) && Boolean.TRUE.equals(read(bn, "center"))
                    && Boolean.TRUE.equals(read(bn, "scale"));
        }
    }
}
