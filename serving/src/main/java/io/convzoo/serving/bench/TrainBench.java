package io.convzoo.serving.bench;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.convzoo.zoo.ModelRegistry;
import io.convzoo.zoo.ModelSpec;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code bin/convzoo bench --train}: one training step (forward, loss, backward, SGD update) of our
 * blocks against the same official architecture as a TorchScript module trained through DJL
 * ({@code PtSymbolBlock}, option {@code trainParam}), in one process, steps alternated. The traces are
 * training-mode traces of the official code ({@code tools/make_torchscript_traces.py --train}:
 * {@code <id>.train.b<N>.pt}); both sides train on the same random batch with the same optimizer.
 */
public final class TrainBench {

    /** One model at one batch: median seconds per step of each side and the per-step ratio's quartiles. */
    public record Row(String model, int batch, int size, double oursSeconds, double torchscriptSeconds, double ratio,
                      double ratioQ1, double ratioQ3) {}

    private TrainBench() {}

    /** The training trace of {@code id} at {@code batch} in {@code dir}, or null. */
    static Path traceFile(Path dir, String id, int batch) {
        Path file = dir.resolve(id + ".train.b" + batch + ".pt");
        return Files.isRegularFile(file) ? file : null;
    }

    /**
     * Times every model at every batch for which a training trace exists; the others are reported and skipped.
     * With {@code profileDir} (else null), {@link #PROFILED_FORWARDS} more steps of each side after the timed ones
     * have their forward under libtorch's profiler ({@link OpProfile}):
     * DIR/&lt;id&gt;.b&lt;N&gt;.{ours,torchscript}.forward.&lt;k&gt;.json, and a table of the median self time per
     * op of each side goes to {@code log}.
     */
    public static List<Row> run(List<String> ids, List<Integer> batches, int size, int rounds, int warmup, Path dir,
                                Path profileDir, PrintStream log) throws IOException, MalformedModelException {
        List<Row> rows = new ArrayList<>();
        for (String id : ids) {
            ModelSpec spec = ModelRegistry.get(id);
            for (int batch : batches) {
                Path trace = traceFile(dir, id, batch);
                if (trace == null) {
                    log.printf("%s batch %d: no %s.train.b%d.pt in %s (tools/make_torchscript_traces.py --train), "
                            + "skipped%n", id, batch, id, batch, dir);
                    continue;
                }
                rows.add(timeOne(spec, batch, size, rounds, warmup, trace, profileDir, log));
            }
        }
        return rows;
    }

    private static Row timeOne(ModelSpec spec, int batch, int size, int rounds, int warmup, Path trace, Path profileDir,
                               PrintStream log) throws IOException, MalformedModelException {
        Shape input = new Shape(batch, spec.defaults().inputChannels(), size, size);
        try (Model ours = Model.newInstance(spec.id());
             Model official = Model.newInstance(spec.id() + "-torchscript", Device.cpu(), "PyTorch")) {
            ours.setBlock(spec.build(spec.defaults()));
            String name = trace.getFileName().toString();
            official.load(trace.getParent(), name.substring(0, name.length() - ".pt".length()),
                    Map.of("trainParam", "true", "mapLocation", "true"));
            try (Trainer oursTrainer = ours.newTrainer(config());
                 Trainer officialTrainer = official.newTrainer(config())) {
                oursTrainer.initialize(input);
                double[] mine = new double[rounds];
                double[] theirs = new double[rounds];
                for (int r = -warmup; r < rounds; r++) {
                    // Alternate which side goes first, so drift on a shared machine hits both alike.
                    boolean oursFirst = (r & 1) == 0;
                    double a = oursFirst ? step(oursTrainer, input, spec, null) : step(officialTrainer, input, spec, null);
                    double b = oursFirst ? step(officialTrainer, input, spec, null) : step(oursTrainer, input, spec, null);
                    if (r >= 0) {
                        mine[r] = oursFirst ? a : b;
                        theirs[r] = oursFirst ? b : a;
                    }
                }
                InferenceBench.RatioStats ratio = InferenceBench.ratioStats(mine, theirs);
                Row row = new Row(spec.id(), batch, size, InferenceBench.median(mine), InferenceBench.median(theirs),
                        ratio.median(), ratio.q1(), ratio.q3());
                log.printf("%s batch %d: ours %.1f ms, TorchScript %.1f ms per step, ratio %.3f%n", spec.id(), batch,
                        row.oursSeconds() * 1e3, row.torchscriptSeconds() * 1e3, row.ratio());
                if (profileDir != null) {
                    Files.createDirectories(profileDir);
                    String stem = spec.id() + ".b" + batch;
                    List<OpProfile.Summary> oursProfiles = new ArrayList<>();
                    List<OpProfile.Summary> officialProfiles = new ArrayList<>();
                    for (int k = 1; k <= PROFILED_FORWARDS; k++) {
                        Path oursFile = profileDir.resolve(stem + ".ours.forward." + k + ".json");
                        Path officialFile = profileDir.resolve(stem + ".torchscript.forward." + k + ".json");
                        step(oursTrainer, input, spec, oursFile);
                        step(officialTrainer, input, spec, officialFile);
                        oursProfiles.add(OpProfile.read(oursFile));
                        officialProfiles.add(OpProfile.read(officialFile));
                    }
                    printProfiles(spec.id() + " batch " + batch, OpProfile.median(oursProfiles),
                            OpProfile.median(officialProfiles), log);
                }
                return row;
            }
        }
    }

    /** SGD with momentum at a fixed rate, softmax cross-entropy: the same for both sides. */
    static DefaultTrainingConfig config() {
        return new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.01f)).optMomentum(0.9f).build());
    }

    /** Profiled forwards of each side with {@code --profile}, alternated; the table gives their medians. */
    public static final int PROFILED_FORWARDS = 5;

    /** Ops listed by {@link #printProfiles}: the largest self times of either side. */
    static final int PROFILE_ROWS = 14;

    /** Self time per op of our forward and the TorchScript module's, the largest first, then span, busy and gaps. */
    static void printProfiles(String what, OpProfile.Summary ours, OpProfile.Summary official, PrintStream log) {
        log.printf("%s, training forwards under libtorch's profiler (median of %d; self time per op, ms):%n", what,
                PROFILED_FORWARDS);
        log.printf("  %-44s %16s %16s%n", "op", "ours calls/ms", "TorchScript");
        List<OpProfile.OpTotal> both = new ArrayList<>(ours.ops().values());
        both.addAll(official.ops().values());
        OpProfile.largestFirst(both).keySet().stream().limit(PROFILE_ROWS).forEach(n -> log.printf("  %-44s %16s %16s%n", n, cell(ours.ops().get(n)),
                cell(official.ops().get(n))));
        log.printf("  %-44s %16.1f %16.1f%n", "span (first op start to last op end)", ours.spanMillis(),
                official.spanMillis());
        log.printf("  %-44s %16.1f %16.1f%n", "between top-level ops (Java, JNI)", ours.gapMillis(),
                official.gapMillis());
    }

    private static String cell(OpProfile.OpTotal t) {
        return t == null ? "-" : String.format("%d / %.1f", t.calls(), t.selfMillis());
    }

    /**
     * One timed step on a fresh random batch (made before the clock starts, freed after); with
     * {@code profile}, its forward runs under libtorch's profiler, which writes that file.
     */
    static double step(Trainer trainer, Shape input, ModelSpec spec, Path profile) {
        try (NDManager scope = trainer.getManager().newSubManager()) {
            NDArray x = scope.randomNormal(0f, 1f, input, DataType.FLOAT32);
            NDArray labels = scope.randomInteger(0, spec.defaults().numClasses(), new Shape(input.get(0)),
                    DataType.INT64).toType(DataType.FLOAT32, false);
            long t0 = System.nanoTime();
            try (GradientCollector gc = trainer.newGradientCollector()) {
                NDArray out = profile == null ? trainer.forward(new NDList(x)).head()
                        : OpProfile.record(profile, () -> trainer.forward(new NDList(x)).head());
                NDArray loss = trainer.getLoss().evaluate(new NDList(labels), new NDList(out));
                gc.backward(loss);
            }
            trainer.step();
            return (System.nanoTime() - t0) / 1e9;
        }
    }
}
