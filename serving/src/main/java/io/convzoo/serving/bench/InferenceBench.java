package io.convzoo.serving.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Times eval forwards of zoo models against their TorchScript traces in one process. Every round
 * runs each (model, batch, implementation) once, in an order that is reversed every other round, so
 * slow drifts of the machine (other processes, thermal) hit all of them alike; the figure kept per
 * cell is the median over rounds, and the ratio ours/TorchScript is the median of the per-round
 * ratios (both were timed within the same round, back to back). Each timed forward follows an untimed
 * one of the same implementation: right after another runtime's forward, the other's threads still
 * spin for work on the same cores (an ONNX Runtime session took ~1.6× as long right after another
 * session, ~1.15× right after libtorch; docs/benchmarks.md), a cost of the order, not of the model.
 */
public final class InferenceBench {

    /** Options of one run. */
    public record Options(List<String> models, List<Integer> batches, int rounds, int warmup, Path torchscriptDir,
                          boolean blocksToo, boolean plainToo, boolean ortToo, boolean autoToo, boolean cpuClock, Integer size,
                          int threads) {}

    /** One row of results. */
    public record Row(String model, String impl, int batch, double medianSeconds, double imagesPerSecond,
                      double gflops, Double ratioVsTorchscript, Double gflopsVsResnet50, long macsPerImage,
                      double[] seconds, Double ratioQ1, Double ratioQ3, Double ratioVsOnnxRuntime,
                      Double ratioVsOnnxRuntimeQ1, Double ratioVsOnnxRuntimeQ3) {}

    /**
     * Median and quartiles of the per-round ratios {@code a[i] / b[i]}: the quartiles say how much the
     * rounds disagree, so a median within them of 1.0 is no verdict either way.
     */
    public record RatioStats(double median, double q1, double q3) {}

    private static final java.lang.management.ThreadMXBean THREADS =
            java.lang.management.ManagementFactory.getThreadMXBean();

    private final Options options;

    /** Whether {@code id} is a registered model or the reference {@code resnet50}. */
    public static boolean isKnownModel(String id) {
        return BenchModel.isKnown(id);
    }

    public InferenceBench(Options options) {
        this.options = options;
    }

    /** Runs the benchmark; {@code log} receives progress lines. */
    public List<Row> run(NDManager manager, java.io.PrintStream log) throws IOException {
        List<BenchModel> all = new ArrayList<>();
        Map<String, Long> macs = new LinkedHashMap<>();
        List<Cell> cells = new ArrayList<>();
        Map<Path, BenchModel.Traced> traces = new LinkedHashMap<>();
        Map<Path, BenchModel.OfficialOnnx> exports = new LinkedHashMap<>();
        try {
            for (String id : options.models()) {
                macs.put(id, BenchModel.macsPerImage(id));
                BenchModel.Ours ours = new BenchModel.Ours(id, manager, BenchModel.Variant.SCRIPTED);
                all.add(ours);
                List<BenchModel> variants = new ArrayList<>();
                if (options.blocksToo()) {
                    variants.add(new BenchModel.Ours(id, manager, BenchModel.Variant.BLOCKS));
                }
                if (options.ortToo() && BenchModel.hasOnnxForm(id)) {
                    variants.add(new BenchModel.Ours(id, manager, BenchModel.Variant.ONNXRUNTIME));
                }
                if (options.autoToo()) {
                    variants.add(new BenchModel.Ours(id, manager, BenchModel.Variant.AUTO));
                }
                if (options.plainToo()) {
                    variants.add(new BenchModel.Ours(id, manager, BenchModel.Variant.PLAIN));
                }
                all.addAll(variants);
                BenchModel.OfficialOnnx officialOnnx = null;
                for (int batch : options.batches()) {
                    officialOnnx = loadOnce(exports, BenchModel.OfficialOnnx.find(options.torchscriptDir(), id, batch),
                            f -> BenchModel.OfficialOnnx.load(id, f, options.threads()), all);
                    BenchModel.Traced traced = loadOnce(traces, BenchModel.Traced.find(options.torchscriptDir(), id, batch),
                            f -> BenchModel.Traced.load(id, f), all);
                    int s = options.size() != null ? options.size() : BenchModel.inputSize(id);
                    NDArray x = manager.randomNormal(0f, 1f, new Shape(batch, BenchModel.inputChannels(id), s, s),
                            DataType.FLOAT32);
                    cells.add(new Cell(id, batch, x, ours, variants, traced, officialOnnx, options.rounds(),
                            options.cpuClock()));
                }
                log.printf("loaded %s (%s, %s)%n", id, cells.get(cells.size() - 1).traced == null ? "no trace" : "with trace",
                        officialOnnx == null ? "no ONNX export" : "with ONNX export");
            }
            for (BenchModel m : all) {
                // Not where ONNX Runtime may run: a 32×32 warm-up would take one of its pinned session shapes.
                if (m instanceof BenchModel.Ours ours && !ours.mayRunOnnxRuntime()) {
                    jitWarmup(m, manager);
                }
            }
            log.printf("JIT warm-up done%n");
            for (Cell c : cells) {
                for (int w = 0; w < options.warmup(); w++) {
                    c.runAll(-1, w % 2 == 1);
                }
                c.finishAutoTrials();
            }
            log.printf("warm-up done (JIT compiler idle after %d ms more); %d rounds%n",
                    JitSettle.await(JIT_SETTLE_MAX_MILLIS), options.rounds());
            for (int r = 0; r < options.rounds(); r++) {
                boolean reverse = r % 2 == 1;
                for (int i = 0; i < cells.size(); i++) {
                    cells.get(reverse ? cells.size() - 1 - i : i).runAll(r, reverse);
                }
                log.printf("round %d/%d%n", r + 1, options.rounds());
            }
            return rows(cells, macs);
        } finally {
            for (BenchModel m : all) {
                m.close();
            }
        }
    }

    /** A file's model loaded once however many batches use it (added to {@code all} to be closed); null for no file. */
    private static <M extends BenchModel> M loadOnce(Map<Path, M> loaded, Path file, Loader<M> load, List<BenchModel> all)
            throws IOException {
        if (file == null) {
            return null;
        }
        M model = loaded.get(file);
        if (model == null) {
            model = load.load(file);
            loaded.put(file, model);
            all.add(model);
        }
        return model;
    }

    /** Loads an official model file. */
    private interface Loader<M> {
        M load(Path file) throws IOException;
    }

    private List<Row> rows(List<Cell> cells, Map<String, Long> macs) {
        Map<Integer, Double> resnetGflops = new LinkedHashMap<>();
        for (Cell c : cells) {
            if (c.id.equals(BenchModel.RESNET50)) {
                resnetGflops.put(c.batch, gflops(macs.get(c.id), c.batch, median(c.timesOf(c.ours))));
            }
        }
        List<Row> rows = new ArrayList<>();
        for (Cell c : cells) {
            long m = macs.get(c.id);
            Double rn = resnetGflops.get(c.batch);
            List<BenchModel> mine = new ArrayList<>();
            mine.add(c.ours);
            mine.addAll(c.variants);
            for (BenchModel ours : mine) {
                double[] t = c.timesOf(ours);
                double med = median(t);
                double g = gflops(m, c.batch, med);
                RatioStats vsTrace = c.traced == null ? null : ratioStats(t, c.timesOf(c.traced));
                RatioStats vsOrt = c.officialOnnx == null ? null : ratioStats(t, c.timesOf(c.officialOnnx));
                rows.add(new Row(c.id, ours.label, c.batch, med, c.batch / med, g,
                        vsTrace == null ? null : vsTrace.median(), rn == null ? null : g / rn, m, t,
                        vsTrace == null ? null : vsTrace.q1(), vsTrace == null ? null : vsTrace.q3(),
                        vsOrt == null ? null : vsOrt.median(), vsOrt == null ? null : vsOrt.q1(),
                        vsOrt == null ? null : vsOrt.q3()));
            }
            for (BenchModel official : new BenchModel[] {c.traced, c.officialOnnx}) {
                if (official == null) {
                    continue;
                }
                double[] t = c.timesOf(official);
                double tm = median(t);
                double tg = gflops(m, c.batch, tm);
                rows.add(new Row(c.id, official.label, c.batch, tm, c.batch / tm, tg,
                        c.traced == null ? null : ratioStats(t, c.timesOf(c.traced)).median(), rn == null ? null : tg / rn,
                        m, t, null, null,
                        c.officialOnnx == null ? null : ratioStats(t, c.timesOf(c.officialOnnx)).median(), null, null));
            }
        }
        return rows;
    }

    /**
     * Compiles our Java forward path before anything is timed. A trace runs its graph in C++, but our
     * forward is Java code that the JVM interprets until each method has run a few thousand times;
     * the few warm-up rounds at full size left it interpreted (an OctResNet-50 batch-1 forward spent
     * ~10 ms more, measured at 32×32 where the ops cost little). The code path does not depend on the
     * input size, so small inputs compile it quickly; a service reaches this state after its first
     * requests.
     */
    private static void jitWarmup(BenchModel m, NDManager manager) {
        int side = Math.min(JIT_WARMUP_SIDE, BenchModel.inputSize(m.id));
        try (NDManager scope = manager.newSubManager()) {
            NDArray x = scope.randomNormal(0f, 1f, new Shape(1, BenchModel.inputChannels(m.id), side, side),
                    DataType.FLOAT32);
            long end = System.nanoTime() + JIT_WARMUP_MAX_NANOS;
            for (int i = 0; i < JIT_WARMUP_FORWARDS && System.nanoTime() < end; i++) {
                m.forward(x);
            }
        }
    }

    private static final long JIT_SETTLE_MAX_MILLIS = 20_000;
    private static final int JIT_WARMUP_SIDE = 32;
    private static final int JIT_WARMUP_FORWARDS = 300;
    private static final long JIT_WARMUP_MAX_NANOS = 10_000_000_000L;

    static double gflops(long macsPerImage, int batch, double seconds) {
        return 2.0 * macsPerImage * batch / seconds / 1e9;
    }

    static double median(double[] values) {
        return quantile(values, 0.5);
    }

    /** The {@code q} quantile, linear between the closest ranks (NumPy's default); q = 0.5 is the median. */
    static double quantile(double[] values, double q) {
        double[] v = values.clone();
        Arrays.sort(v);
        double rank = q * (v.length - 1);
        int below = (int) Math.floor(rank);
        int above = Math.min(below + 1, v.length - 1);
        return v[below] + (rank - below) * (v[above] - v[below]);
    }

    static RatioStats ratioStats(double[] a, double[] b) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = a[i] / b[i];
        }
        return new RatioStats(quantile(r, 0.5), quantile(r, 0.25), quantile(r, 0.75));
    }

    /** One model at one batch size: its implementations and their times per round. */
    private static final class Cell {
        final String id;
        final int batch;
        final NDArray x;
        final BenchModel ours;
        /** Our other variants timed alongside (block by block, unprepared), in the order given. */
        final List<BenchModel> variants;
        final BenchModel traced;
        /** The official code's ONNX export on ONNX Runtime, or null. */
        final BenchModel officialOnnx;
        final Map<BenchModel, double[]> times = new java.util.IdentityHashMap<>();
        final boolean cpuClock;

        /** Runs each auto variant until it has chosen its runtime for this input shape: the rounds then time the choice. */
        void finishAutoTrials() {
            for (BenchModel m : variants) {
                if (m.label.equals(BenchModel.Variant.AUTO.label)) {
                    for (int i = 0; i < io.convzoo.zoo.infer.OnnxRuntimeForward.TRIAL_FORWARDS; i++) {
                        m.forward(x);
                    }
                }
            }
        }

        Cell(String id, int batch, NDArray x, BenchModel ours, List<BenchModel> variants, BenchModel traced,
             BenchModel officialOnnx, int rounds, boolean cpuClock) {
            this.officialOnnx = officialOnnx;
            this.cpuClock = cpuClock;
            this.id = id;
            this.batch = batch;
            this.x = x;
            this.ours = ours;
            this.variants = variants;
            this.traced = traced;
            for (BenchModel m : order()) {
                times.put(m, new double[rounds]);
            }
        }

        double[] timesOf(BenchModel m) {
            return times.get(m);
        }

        /** Wall clock, or with one intra-op thread this thread's CPU time (robust on a busy machine). */
        private long now() {
            return cpuClock ? THREADS.getCurrentThreadCpuTime() : System.nanoTime();
        }

        private List<BenchModel> order() {
            List<BenchModel> order = new ArrayList<>();
            order.add(ours);
            order.addAll(variants);
            if (traced != null) {
                order.add(traced);
            }
            if (officialOnnx != null) {
                order.add(officialOnnx);
            }
            return order;
        }

        void runAll(int round, boolean reverse) {
            List<BenchModel> order = order();
            if (reverse) {
                java.util.Collections.reverse(order);
            }
            for (BenchModel m : order) {
                m.forward(x); // lead-in: the timed forward follows one of its own
                long t0 = now();
                m.forward(x);
                double s = (now() - t0) / 1e9;
                if (round >= 0) {
                    times.get(m)[round] = s;
                }
            }
        }
    }
}
