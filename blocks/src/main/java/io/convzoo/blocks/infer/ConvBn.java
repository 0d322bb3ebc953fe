package io.convzoo.blocks.infer;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.util.Pair;
import io.convzoo.blocks.CompiledForward;
import io.convzoo.blocks.ConvBnFolding;
import io.convzoo.blocks.DataflowBlock;
import io.convzoo.blocks.ForwardArrays;
import io.convzoo.blocks.GroupedConvForms;
import io.convzoo.blocks.Layers;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * The inference preparation's BatchNorm folding: once {@link #enableFolding(Block)} has been called on
 * a model, an eval forward of an {@link io.convzoo.blocks.Ops#convBn} pair whose outputs are linear in
 * its convolutions ({@link Linearity}: a conv, a PyConv's concatenated levels, an OctConv's summed
 * paths, a dynamic conv's kernel bank, a sequence ending in a conv) runs those convolutions with the
 * BatchNorm folded in ({@code w' = w·γ/√(σ²+ε)}, the shift {@code β - μ·γ/√(σ²+ε)} added once per
 * channel) instead of a conv and a separate BatchNorm pass. The model's parameters are not changed:
 * the folded arrays are kept aside, made lazily at the first eval forward, and remade whenever a
 * parameter array is replaced (loading weights) or after a training forward through the pair
 * (in-place optimizer updates). {@link #disableFolding(Block)} drops them.
 */
public final class ConvBn implements ConvBnFolding {

    private static final ConvBn INSTANCE = new ConvBn();

    /** BatchNorms (by identity) whose pair may be folded, with the pair's folded form once made. */
    private static final Map<Block, FoldedForm[]> ENABLED = Collections.synchronizedMap(new WeakHashMap<>());

    private static final FoldedForm[] NOT_YET = new FoldedForm[0];

    private ConvBn() {}

    /**
     * The inference preparation pass: allows folding for every BatchNorm under {@code root}; calling
     * it again refolds from the current parameter values. Returns how many.
     */
    public static int enableFolding(Block root) {
        ConvBnFolding.install(INSTANCE);
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
     * Drops the folded arrays under {@code root}, and the compiled forward of a scripted root, so that
     * the next eval forward uses the current parameter values again. Needed after parameter values were
     * changed IN PLACE outside a training forward (a weight loader writing into the existing arrays);
     * replaced arrays and training-mode forwards are detected without it.
     */
    public static void refresh(Block root) {
        INSTANCE.dropFolded(root);
        if (root instanceof DataflowBlock d) {
            CompiledForward compiled = d.getCompiledForward();
            if (compiled != null) {
                compiled.invalidate(); // its module holds copies of the parameters too
            }
        }
    }

    @Override
    public void dropFolded(Block root) {
        if (root instanceof BatchNorm) {
            invalidate(List.of(root));
        }
        for (Pair<String, Block> child : root.getChildren()) {
            dropFolded(child.getValue());
        }
    }

    /** How many BatchNorms under {@code root} currently run folded into their conv. */
    public static int foldedCount(Block root) {
        int n = 0;
        if (root instanceof BatchNorm) {
            FoldedForm[] f = ENABLED.get(root);
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

    @Override
    public ConvBnFolding.Folded acquire(Block conv, List<? extends Block> norms, int inputs, Device device) {
        synchronized (ENABLED) {
            FoldedForm[] cached = ENABLED.get(norms.get(0));
            if (cached == null) {
                return null;
            }
            if (cached.length == 1 && cached[0].isCurrent(device)) {
                cached[0].users++;
                return cached[0];
            }
            for (Block bn : norms) {
                if (!ENABLED.containsKey(bn)) {
                    return null;
                }
            }
            invalidate(norms);
            FoldedForm f = FoldedForm.make(conv, norms, inputs, device);
            if (f != null) {
                for (Block bn : norms) {
                    ENABLED.put(bn, new FoldedForm[] {f});
                }
                f.users++;
            }
            return f;
        }
    }

    @Override
    public ConvBnFolding.Folded current(List<? extends Block> norms, Device device) {
        FoldedForm[] f = ENABLED.get(norms.get(0));
        return f == null || f.length != 1 || !f[0].isCurrent(device) ? null : f[0];
    }

    @Override
    public void invalidate(List<? extends Block> norms) {
        synchronized (ENABLED) {
            for (Block bn : norms) {
                FoldedForm[] f = ENABLED.get(bn);
                if (f != null && f.length > 0) {
                    ENABLED.put(bn, NOT_YET);
                    release(f);
                }
            }
        }
    }

    /**
     * Drops folded arrays (under ENABLED's lock). Ones still in use by a forward on another thread
     * (weights reloaded or a training step beside a predicting thread) are freed by their last user.
     */
    private static void release(FoldedForm[] folded) {
        if (folded != null) {
            for (FoldedForm f : folded) {
                f.retired = true;
                if (f.users == 0) {
                    f.free();
                }
            }
        }
    }

    /** A pair's folded convolutions and the parameter arrays they came from. */
    private static final class FoldedForm implements ConvBnFolding.Folded {
        /** Forwards running with these arrays, and whether they were dropped; guarded by ENABLED. */
        private int users;
        private boolean retired;
        private final Map<Conv2d, FoldedConv> convs;
        private final Map<Parameter, FoldedMixture> mixtures;
        private final List<NDArray> arrays;
        private final List<Parameter> sourceParams;
        private final List<NDArray> sources = new ArrayList<>();
        private final Device device;

        private FoldedForm(Map<Conv2d, FoldedConv> convs, Map<Parameter, FoldedMixture> mixtures, List<NDArray> arrays,
                       List<Parameter> sourceParams, Device device) {
            arrays.forEach(ForwardArrays::keep);
            this.convs = convs;
            this.mixtures = mixtures;
            this.arrays = arrays;
            this.sourceParams = sourceParams;
            for (Parameter p : sourceParams) {
                sources.add(p.getArray());
            }
            this.device = device;
        }

        @Override
        public FoldedConv conv(Conv2d conv) {
            return convs.get(conv);
        }

        @Override
        public FoldedMixture mixture(Parameter bank) {
            return mixtures.get(bank);
        }

        @Override
        public void close() {
            synchronized (ENABLED) {
                users--;
                if (retired && users == 0) {
                    free();
                }
            }
        }

        /**
         * Folds {@code norms.get(i)} into the convolutions output {@code i} of {@code conv} is linear in;
         * null when an output is not linear, a conv feeds more than one output or term, a channel gets no
         * conv, a BatchNorm is not a plain channel norm, or a parameter is not initialized on {@code device}.
         */
        static FoldedForm make(Block conv, List<? extends Block> norms, int inputs, Device device) {
            List<Linearity.Value> outputs = Linearity.of(conv, inputs);
            if (outputs.size() != norms.size()) {
                return null;
            }
            Set<Linearity.Leaf> seen = new HashSet<>();
            List<Parameter> sourceParams = new ArrayList<>();
            for (int i = 0; i < outputs.size(); i++) {
                Linearity.Value v = outputs.get(i);
                if (!v.linear() || !(norms.get(i) instanceof BatchNorm bn) || !foldable(bn, v)
                        || !bn.getParameters().get("gamma").isInitialized()
                        || bn.getParameters().get("gamma").getArray().size() != v.channels()) {
                    return null;
                }
                for (String name : List.of("gamma", "beta", "runningMean", "runningVar")) {
                    sourceParams.add(bn.getParameters().get(name));
                }
                for (Linearity.Term t : v.terms()) {
                    if (!seen.add(t.leaf())) {
                        return null;
                    }
                    Block owner = t.leaf().conv();
                    if (owner != null) {
                        sourceParams.add(owner.getParameters().get("weight"));
                        if (t.leaf().conv().isIncludeBias()) {
                            sourceParams.add(owner.getParameters().get("bias"));
                        }
                    } else {
                        sourceParams.add(t.leaf().bank());
                        if (t.leaf().biasBank() != null) {
                            sourceParams.add(t.leaf().biasBank());
                        }
                    }
                }
            }
            for (Parameter p : sourceParams) {
                if (!p.isInitialized() || !p.getArray().getDevice().equals(device)) {
                    return null;
                }
            }
            Map<Conv2d, FoldedConv> convs = new IdentityHashMap<>();
            Map<Parameter, FoldedMixture> mixtures = new IdentityHashMap<>();
            List<NDArray> kept = new ArrayList<>();
            // Made in a scope of the weights' manager; only the folded arrays are kept (attached to the
            // model's manager, so closing the model frees them too).
            NDManager owner = sourceParams.get(0).getArray().getManager();
            try (NDManager scope = owner.newSubManager()) {
                for (int i = 0; i < outputs.size(); i++) {
                    fold((BatchNorm) norms.get(i), outputs.get(i), device, scope, owner, convs, mixtures, kept);
                }
            }
            return new FoldedForm(convs, mixtures, kept, sourceParams, device);
        }

        /** Every channel of {@code v} gets a conv, and each term adds the shift to all its channels or to none. */
        private static boolean foldable(BatchNorm bn, Linearity.Value v) {
            if (Layers.epsilon(bn) == null || !Layers.isPlainChannelNorm(bn)) {
                return false;
            }
            boolean[] carries = shiftCarriers(v);
            if (carries == null) {
                return false;
            }
            for (int i = 0; i < carries.length; i++) {
                if (!carries[i] && v.terms().get(i).leaf().conv() == null) {
                    return false; // a mixture conv adds the shift after mixing, so it must carry it
                }
            }
            return true;
        }

        /**
         * Per term, whether it is the first to cover its channels (and so adds the BatchNorm's shift);
         * null when some channel is covered by no term or a term covers some channels first and others not.
         */
        private static boolean[] shiftCarriers(Linearity.Value v) {
            boolean[] covered = new boolean[(int) v.channels()];
            boolean[] carries = new boolean[v.terms().size()];
            for (int i = 0; i < carries.length; i++) {
                Linearity.Term t = v.terms().get(i);
                long end = t.valueStart() + t.leaf().channels();
                if (end > covered.length) {
                    return null;
                }
                carries[i] = !covered[(int) t.valueStart()];
                for (long c = t.valueStart(); c < end; c++) {
                    if (covered[(int) c] == carries[i]) {
                        return null;
                    }
                    covered[(int) c] = true;
                }
            }
            for (boolean c : covered) {
                if (!c) {
                    return null;
                }
            }
            return carries;
        }

        private static void fold(BatchNorm bn, Linearity.Value v, Device device, NDManager scope, NDManager owner,
                                 Map<Conv2d, FoldedConv> convs, Map<Parameter, FoldedMixture> mixtures,
                                 List<NDArray> kept) {
            float eps = Layers.epsilon(bn);
            NDArray scale = copyInto(bn.getParameters().get("gamma"), scope)
                    .div(copyInto(bn.getParameters().get("runningVar"), scope).add(eps).sqrt());
            NDArray shift = copyInto(bn.getParameters().get("beta"), scope)
                    .sub(copyInto(bn.getParameters().get("runningMean"), scope).mul(scale));
            boolean[] carries = shiftCarriers(v);
            for (int i = 0; i < carries.length; i++) {
                Linearity.Term t = v.terms().get(i);
                long start = t.valueStart();
                long out = t.leaf().channels();
                boolean carriesShift = carries[i];
                NDArray s = scale.get(start + ":" + (start + out));
                NDArray b = carriesShift ? shift.get(start + ":" + (start + out)) : null;
                Conv2d c = t.leaf().conv();
                if (c == null) {
                    // Bank (K, out, in/g, k, k), or flattened (K, out · in/g · k · k) as timm's CondConv2d, scaled
                    // per output channel; the shift is added after mixing.
                    NDArray bank = t.leaf().bank().getArray();
                    long k = bank.getShape().get(0);
                    NDArray scaledBank = keep(s.reshape(1, out, 1).mul(bank.reshape(k, out, -1)).reshape(k, -1), owner,
                            kept);
                    NDArray scaledBias = t.leaf().biasBank() == null ? null
                            : keep(s.reshape(1, out).mul(t.leaf().biasBank().getArray()), owner, kept);
                    mixtures.put(t.leaf().bank(), new FoldedMixture(scaledBank, scaledBias, keep(b.add(0f), owner, kept)));
                    continue;
                }
                NDArray w = c.getParameters().get("weight").getArray();
                NDArray weight = s.reshape(out, 1, 1, 1).mul(w);
                int groups = c.getGroups();
                if (GroupedConvForms.formFor(device, w.getShape(), groups, false) == GroupedConvForms.Form.BLOCK_DIAGONAL) {
                    weight = GroupedConvForms.expand(weight, groups);
                    groups = 1;
                }
                NDArray bias = c.isIncludeBias() ? s.mul(c.getParameters().get("bias").getArray()) : null;
                bias = b == null ? bias : bias == null ? b.add(0f) : bias.add(b);
                convs.put(c, new FoldedConv(keep(weight, owner, kept), bias == null ? null : keep(bias, owner, kept),
                        groups));
            }
        }

        private static NDArray keep(NDArray a, NDManager owner, List<NDArray> kept) {
            a.attach(owner);
            kept.add(a);
            return a;
        }

        private static NDArray copyInto(Parameter p, NDManager scope) {
            NDArray copy = p.getArray().duplicate();
            copy.attach(scope);
            return copy;
        }

        boolean isCurrent(Device d) {
            if (!device.equals(d) || arrays.isEmpty() || arrays.get(0).isReleased()) {
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

        void free() {
            arrays.stream().filter(Objects::nonNull).forEach(NDArray::close);
        }
    }
}
