package io.convzoo.serving.bench;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.Trainer;
import io.convzoo.zoo.ModelRegistry;
import io.convzoo.zoo.ModelSpec;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Native-memory soak: many batch-1 eval forwards of one model (prepared for inference, each forward
 * scoped), or many training steps of it ({@link #runTraining}), with the process's resident set size
 * (VmRSS, Linux) sampled along the way. The growth is measured from the end of the warm-up (the first
 * tenth of the repeats, at least 100) to the end.
 */
public final class MemorySoak {

    private MemorySoak() {}

    /**
     * Result: RSS samples in MiB and the growth after warm-up. {@code forwards} counts the repeats, which
     * {@code unit} names ("forwards" or "training steps").
     */
    public record Result(String model, String unit, int forwards, int warmupForwards, double rssAfterWarmupMib,
                         double rssFinalMib, double rssMaxAfterWarmupMib, double growthPercent, double seconds,
                         List<double[]> samples) {
        @Override
        public String toString() {
            return String.format("%s: %d %s (warm-up %d) in %.0f s; RSS after warm-up %.1f MiB, final %.1f MiB,"
                            + " max %.1f MiB; growth %.2f%%", model, forwards, unit, warmupForwards, seconds,
                    rssAfterWarmupMib, rssFinalMib, rssMaxAfterWarmupMib, growthPercent);
        }
    }

    /** {@code forwards} batch-1 eval forwards of {@code id}, prepared as the zoo's loaders prepare it. */
    public static Result run(NDManager manager, String id, int forwards, PrintStream log) throws IOException {
        requirePositive(forwards, "forward");
        try (BenchModel.Ours model = new BenchModel.Ours(id, manager, BenchModel.Variant.SCRIPTED)) {
            int s = BenchModel.inputSize(id);
            NDArray x = manager.randomNormal(0f, 1f, new Shape(1, BenchModel.inputChannels(id), s, s), DataType.FLOAT32);
            try {
                return repeat(id, "forwards", forwards, () -> model.forward(x), log);
            } finally {
                x.close();
            }
        }
    }

    /**
     * {@code steps} training steps of {@code id} (forward, softmax cross-entropy, backward, SGD with momentum:
     * the step {@code bench --train} times), each on a fresh random batch of {@code batch} images of
     * {@code size} pixels: what a long fine-tuning run does to native memory.
     */
    public static Result runTraining(String id, int steps, int batch, int size, PrintStream log) throws IOException {
        requirePositive(steps, "training step");
        ModelSpec spec = ModelRegistry.get(id);
        Shape input = new Shape(batch, spec.defaults().inputChannels(), size, size);
        try (Model model = Model.newInstance(id)) {
            model.setBlock(spec.build(spec.defaults()));
            try (Trainer trainer = model.newTrainer(TrainBench.config())) {
                trainer.initialize(input);
                return repeat(id, "training steps", steps, () -> TrainBench.step(trainer, input, spec, null), log);
            }
        }
    }

    private static void requirePositive(int count, String what) {
        if (count < 1) {
            throw new IllegalArgumentException("--soak needs at least 1 " + what + ", got " + count);
        }
    }

    /** Runs {@code one} {@code count} times, sampling RSS about 100 times and at the end of the warm-up. */
    private static Result repeat(String id, String unit, int count, Runnable one, PrintStream log) throws IOException {
        int warmup = Math.min(count, Math.max(100, count / 10));
        int every = Math.max(1, count / 100);
        List<double[]> samples = new ArrayList<>();
        long t0 = System.nanoTime();
        double afterWarmup = 0;
        double max = 0;
        for (int i = 1; i <= count; i++) {
            one.run();
            if (i == warmup) {
                afterWarmup = rssMib();
            }
            if (i % every == 0 || i == count) {
                double rss = rssMib();
                samples.add(new double[] {i, rss});
                if (i >= warmup) {
                    max = Math.max(max, rss);
                }
                log.printf("soak %d/%d RSS %.1f MiB%n", i, count, rss);
            }
        }
        double last = rssMib();
        return new Result(id, unit, count, warmup, afterWarmup, last, max, 100.0 * (last - afterWarmup) / afterWarmup,
                (System.nanoTime() - t0) / 1e9, samples);
    }

    /** Resident set size of this process in MiB (Linux /proc/self/status). */
    static double rssMib() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
            }
        }
        throw new IOException("no VmRSS in /proc/self/status (Linux only)");
    }
}
