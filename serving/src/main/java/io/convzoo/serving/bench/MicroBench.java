package io.convzoo.serving.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.GroupedConvForms;
import io.convzoo.blocks.dynamic.DynamicConv2d;
import io.convzoo.blocks.hetconv.HetConv;
import io.convzoo.blocks.hetconv.NaiveHetConv;
import io.convzoo.blocks.infer.ChannelsLast;
import io.convzoo.zoo.infer.Inference;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Micro-benchmarks of the families whose cost is in one block, and of the grouped-conv form PyConv uses:
 * <ul>
 *   <li>HetConv 64→64 (p = 4, 32×32, batch 1): the seed's naive formulation (one conv per channel
 *       pair, 4096 convs), both {@link HetConv} strategies, HetConv prepared for inference (its dense
 *       kernel made once, one conv per forward), and two dense 3×3 convs: one with (almost)
 *       the same MACs (21 input channels: 189 MACs per output against HetConv's 192; an odd channel
 *       count the engine runs slowly) and the 64→64 conv (3× the MACs); HetConv's time is compared
 *       with each at equal MACs (their time per MAC × HetConv's MACs);</li>
 *   <li>dynamic conv 128→128, 3×3, K = 4, 28×28, batch 32: {@link DynamicConv2d} (one grouped conv over
 *       the batch), a per-sample loop of the same block, and the static conv of the same shape;</li>
 *   <li>grouped convs with few channels per group (PyConv's 5×5–9×9 levels) in each of the
 *       {@link GroupedConvForms}, in a training step and in eval;</li>
 *   <li>two ONNX Runtime sessions run in turn, with thread pools of their own and on the one shared
 *       pool ({@link SessionPoolBench}).</li>
 * </ul>
 * Candidates are interleaved round by round; each figure is the median eval-forward time.
 */
public final class MicroBench {

    private MicroBench() {}

    /** One timed candidate. */
    public record Entry(String group, String name, long macs, double medianMs, Double ratio, String ratioTo) {}

    /** Runs every group with {@code rounds} timed rounds each (the naive HetConv gets at most 5). */
    public static List<Entry> run(NDManager manager, int rounds, PrintStream log) {
        List<Entry> out = new ArrayList<>();
        out.addAll(hetConv(manager, rounds, log));
        out.addAll(dynamicConv(manager, rounds, log));
        out.addAll(groupedForms(manager, rounds, log));
        out.addAll(SessionPoolBench.run(manager, rounds, log));
        return out;
    }

    /**
     * Grouped convs with few channels per group in the three {@link GroupedConvForms}: the grouped engine
     * op, one block-diagonal dense conv, and depthwise convs plus group sums. pyconvresnet_small layer1
     * levels in a training step (forward and backward, batch 64); pyconvresnet50 layer1 levels and a
     * PyConvHGResNet-50 layer1 level in eval at batch 1, and at batch 8 channels-last (as a prepared
     * model runs them).
     */
    private static List<Entry> groupedForms(NDManager manager, int rounds, PrintStream log) {
        // batch, in, out, side, kernel, groups, training, channels-last
        int[][] cases = {{64, 32, 8, 28, 9, 8, 1, 0}, {64, 32, 8, 28, 7, 8, 1, 0}, {64, 32, 8, 28, 5, 4, 1, 0},
            {1, 64, 16, 56, 9, 16, 0, 0}, {1, 64, 16, 56, 7, 8, 0, 0}, {1, 128, 32, 56, 9, 32, 0, 0},
            {8, 64, 16, 56, 9, 16, 0, 1}, {8, 64, 16, 56, 7, 8, 0, 1}};
        GroupedConvForms.Form[] forms = GroupedConvForms.Form.values();
        List<Entry> rows = new ArrayList<>();
        try (NDManager m = manager.newSubManager()) {
            Map<String, Candidate> cands = new LinkedHashMap<>();
            List<String> labels = new ArrayList<>();
            for (int[] c : cases) {
                NDArray nchw = m.randomNormal(0f, 1f, new Shape(c[0], c[1], c[3], c[3]), DataType.FLOAT32);
                NDArray x = c[7] == 1 ? ChannelsLast.of(nchw) : nchw;
                NDArray w = m.randomNormal(0f, 0.1f, new Shape(c[2], c[1] / c[5], c[4], c[4]), DataType.FLOAT32);
                long macs = (long) c[0] * c[2] * c[3] * c[3] * (c[1] / c[5]) * c[4] * c[4] * (c[6] == 1 ? 3 : 1);
                String label = String.format("%dx%d/g%d %d->%d %dx%d b%d %s%s", c[4], c[4], c[5], c[1], c[2], c[3],
                        c[3], c[0], c[6] == 1 ? "train" : "eval", c[7] == 1 ? " CL" : "");
                labels.add(label);
                for (GroupedConvForms.Form form : forms) {
                    cands.put(label + " " + formName(form),
                            new Candidate(macs, xx -> groupedStep(xx, w, c[4] / 2, c[5], form, c[6] == 1), x));
                }
            }
            Map<String, Double> ms = time(cands, rounds, Map.of(), log);
            for (String label : labels) {
                double grouped = ms.get(label + " " + formName(GroupedConvForms.Form.GROUPED));
                long macs = cands.get(label + " " + formName(GroupedConvForms.Form.GROUPED)).macs;
                for (GroupedConvForms.Form form : forms) {
                    String name = label + " " + formName(form);
                    boolean engineOp = form == GroupedConvForms.Form.GROUPED;
                    rows.add(new Entry("grouped", name, macs, ms.get(name), engineOp ? null : ms.get(name) / grouped,
                            engineOp ? null : "time / the grouped op's"));
                }
            }
        }
        return rows;
    }

    private static String formName(GroupedConvForms.Form form) {
        return switch (form) {
            case GROUPED -> "grouped op";
            case BLOCK_DIAGONAL -> "block-diagonal";
            case DEPTHWISE_PER_OUTPUT -> "depthwise+sums";
        };
    }

    /** One grouped conv in the given form; in a training step also its backward (returns the weight gradient). */
    static NDArray groupedStep(NDArray x, NDArray weight, int padding, int groups, GroupedConvForms.Form form,
                               boolean training) {
        Shape one = new Shape(1, 1);
        Shape pad = new Shape(padding, padding);
        if (!training) {
            return GroupedConvForms.conv2d(form, x, weight, null, one, pad, one, groups);
        }
        NDArray w = weight.duplicate();
        w.setRequiresGradient(true);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.backward(GroupedConvForms.conv2d(form, x, w, null, one, pad, one, groups).sum());
        }
        return w.getGradient();
    }

    private static List<Entry> hetConv(NDManager manager, int rounds, PrintStream log) {
        int c = 64;
        int part = 4;
        Shape shape = new Shape(1, c, 32, 32);
        long perOutput = 9L * (c / part) + (c - c / part);
        long hetMacs = (long) c * 32 * 32 * perOutput;
        int denseIn = (int) Math.round(perOutput / 9.0);
        Map<String, Candidate> cands = new LinkedHashMap<>();
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.randomNormal(0f, 1f, shape, DataType.FLOAT32);
            NDArray xDense = m.randomNormal(0f, 1f, new Shape(1, denseIn, 32, 32), DataType.FLOAT32);
            HetConv dense = new HetConv(c, c, part, 1, false, HetConv.Strategy.DENSE_KERNEL);
            HetConv grouped = new HetConv(c, c, part, 1, false, HetConv.Strategy.GROUPED_PLUS_POINTWISE);
            NaiveHetConv naive = new NaiveHetConv(c, c, part, 1, false);
            Block sameMacs = Layers.conv3x3(c, 1, 1);
            cands.put("HetConv p=4 dense-kernel", Candidate.of(dense, m, x, hetMacs));
            cands.put("HetConv p=4 grouped+pointwise", Candidate.of(grouped, m, x, hetMacs));
            // The inference preparation (zoo Inference.prepare): the dense kernel made once, one conv per forward.
            HetConv prepared = new HetConv(c, c, part, 1, false, HetConv.Strategy.DENSE_KERNEL);
            Candidate preparedCandidate = Candidate.of(prepared, m, x, hetMacs);
            prepared.prepareInference(true);
            cands.put("HetConv p=4 prepared for inference", preparedCandidate);
            cands.put("naive per-pair HetConv p=4 (4096 convs)", Candidate.of(naive, m, x, hetMacs));
            cands.put("dense 3x3 conv " + denseIn + "->64 (same MACs)",
                    Candidate.of(sameMacs, m, xDense, (long) c * 32 * 32 * denseIn * 9));
            cands.put("dense 3x3 conv 64->64 (3x the MACs)",
                    Candidate.of(Layers.conv3x3(c, 1, 1), m, x, (long) c * 32 * 32 * c * 9));
            Map<String, Double> ms = time(cands, rounds, Map.of("naive per-pair HetConv p=4 (4096 convs)", 5), log);
            List<Entry> rows = new ArrayList<>();
            String naiveKey = "naive per-pair HetConv p=4 (4096 convs)";
            String denseKey = "dense 3x3 conv " + denseIn + "->64 (same MACs)";
            String fullKey = "dense 3x3 conv 64->64 (3x the MACs)";
            double denseMsPerMac = ms.get(denseKey) / cands.get(denseKey).macs;
            double fullMsPerMac = ms.get(fullKey) / cands.get(fullKey).macs;
            for (var e : cands.entrySet()) {
                String name = e.getKey();
                double t = ms.get(name);
                if (name.startsWith("HetConv")) {
                    rows.add(new Entry("hetconv", name, e.getValue().macs, t, ms.get(naiveKey) / t,
                            "speed-up over the naive formulation"));
                    rows.add(new Entry("hetconv", name, e.getValue().macs, t, t / (denseMsPerMac * e.getValue().macs),
                            "time / the 21->64 dense conv's, per MAC"));
                    rows.add(new Entry("hetconv", name, e.getValue().macs, t, t / (fullMsPerMac * e.getValue().macs),
                            "time / the 64->64 dense conv's, per MAC"));
                } else {
                    rows.add(new Entry("hetconv", name, e.getValue().macs, t, null, null));
                }
            }
            return rows;
        }
    }

    private static List<Entry> dynamicConv(NDManager manager, int rounds, PrintStream log) {
        int c = 128;
        int batch = 32;
        int side = 28;
        Shape shape = new Shape(batch, c, side, side);
        long macs = (long) batch * c * c * 9 * side * side;
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.randomNormal(0f, 1f, shape, DataType.FLOAT32);
            DynamicConv2d dyn = DynamicConv2d.builder().setInChannels(c).setOutChannels(c).setKernelSize(3)
                    .optPadding(1).optBias(false).build();
            Block stat = Layers.conv3x3(c, 1, 1);
            Map<String, Candidate> cands = new LinkedHashMap<>();
            Candidate batched = Candidate.of(dyn, m, x, macs);
            cands.put("DynamicConv2d batch 32 (one grouped conv)", batched);
            cands.put("DynamicConv2d per-sample loop", new Candidate(macs, xx -> {
                NDList parts = new NDList(batch);
                for (int b = 0; b < batch; b++) {
                    parts.add(dyn.forward(batched.ps, new NDList(xx.get(b + ":" + (b + 1))), false).head());
                }
                return NDArrays.concat(parts, 0);
            }, x));
            cands.put("static 3x3 conv 128->128 batch 32", Candidate.of(stat, m, x, macs));
            Map<String, Double> ms = time(cands, rounds, Map.of(), log);
            double batchedMs = ms.get("DynamicConv2d batch 32 (one grouped conv)");
            List<Entry> rows = new ArrayList<>();
            rows.add(new Entry("dynamic", "DynamicConv2d batch 32 (one grouped conv)", macs, batchedMs,
                    ms.get("DynamicConv2d per-sample loop") / batchedMs, "speed-up over the per-sample loop"));
            rows.add(new Entry("dynamic", "DynamicConv2d batch 32 (one grouped conv)", macs, batchedMs,
                    batchedMs / ms.get("static 3x3 conv 128->128 batch 32"), "time / static conv time"));
            // A batched dynamic conv does the static conv's MACs and more: this ratio bounds its speed-up.
            rows.add(new Entry("dynamic", "DynamicConv2d per-sample loop", macs, ms.get("DynamicConv2d per-sample loop"),
                    ms.get("DynamicConv2d per-sample loop") / ms.get("static 3x3 conv 128->128 batch 32"),
                    "time / static conv time (the most any batched form can gain over the loop)"));
            rows.add(new Entry("dynamic", "static 3x3 conv 128->128 batch 32", macs,
                    ms.get("static 3x3 conv 128->128 batch 32"), null, null));
            return rows;
        }
    }

    /** Interleaved rounds; returns the median milliseconds per candidate. */
    private static final int WARMUP_ROUNDS = 3;
    private static final long JIT_SETTLE_MAX_MILLIS = 10_000;

    private static Map<String, Double> time(Map<String, Candidate> cands, int rounds, Map<String, Integer> maxRounds,
                                            PrintStream log) {
        Map<String, List<Double>> times = new LinkedHashMap<>();
        cands.keySet().forEach(k -> times.put(k, new ArrayList<>()));
        // Untimed rounds first: one was too few (oneDNN primitive caches, the JIT, allocator arenas).
        for (int r = -WARMUP_ROUNDS; r < rounds; r++) {
            if (r == 0) {
                JitSettle.await(JIT_SETTLE_MAX_MILLIS);
            }
            for (var e : cands.entrySet()) {
                Integer cap = maxRounds.get(e.getKey());
                if (cap != null && r >= cap) {
                    continue;
                }
                double t = e.getValue().timeOnce();
                if (r >= 0) {
                    times.get(e.getKey()).add(t);
                }
            }
            log.printf("micro round %d/%d%n", r + 1, rounds);
        }
        Map<String, Double> medians = new LinkedHashMap<>();
        times.forEach((k, v) -> medians.put(k,
                InferenceBench.median(v.stream().mapToDouble(Double::doubleValue).toArray())));
        return medians;
    }

    /** A forward to time: a block on an input, or any function of the input. */
    private static final class Candidate {
        final long macs;
        final Function<NDArray, NDArray> forward;
        final NDArray x;
        ParameterStore ps;

        Candidate(long macs, Function<NDArray, NDArray> forward, NDArray x) {
            this.macs = macs;
            this.forward = forward;
            this.x = x;
        }

        static Candidate of(Block block, NDManager m, NDArray x, long macs) {
            block.initialize(m, DataType.FLOAT32, x.getShape());
            ParameterStore ps = new ParameterStore(m, false);
            Candidate c = new Candidate(macs, xx -> Inference.forward(block, ps, xx).head(), x);
            c.ps = ps;
            return c;
        }

        /** Milliseconds of one forward; every array it made is freed. */
        double timeOnce() {
            Inference.noGrad();
            try (NDManager scope = x.getManager().newSubManager()) {
                x.tempAttach(scope);
                long t0 = System.nanoTime();
                forward.apply(x).toFloatArray();
                return (System.nanoTime() - t0) / 1e6;
            }
        }
    }

    /** Plain-text rendering. */
    public static String format(List<Entry> entries) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%-10s %-44s %14s %10s  %s%n", "group", "candidate", "MACs", "median ms", "ratio"));
        for (Entry e : entries) {
            sb.append(String.format("%-10s %-44s %,14d %10.3f  %s%n", e.group(), e.name(), e.macs(), e.medianMs(),
                    e.ratio() == null ? "" : String.format("%.2f (%s)", e.ratio(), e.ratioTo())));
        }
        return sb.toString();
    }
}
