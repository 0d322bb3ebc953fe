package io.convzoo.serving.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Native-memory soak: many batch-1 eval forwards of one model (prepared for inference, each forward
 * scoped), with the process's resident set size (VmRSS, Linux) sampled along the way. The growth is
 * measured from the end of the warm-up (the first tenth of the forwards, at least 100) to the end.
 */
public final class MemorySoak {

    private MemorySoak() {}

    /** Result: RSS samples in MiB and the growth after warm-up. */
    public record Result(String model, int forwards, int warmupForwards, double rssAfterWarmupMib,
                         double rssFinalMib, double rssMaxAfterWarmupMib, double growthPercent, double seconds,
                         List<double[]> samples) {
        @Override
        public String toString() {
            return String.format("%s: %d forwards (warm-up %d) in %.0f s; RSS after warm-up %.1f MiB, final %.1f MiB,"
                            + " max %.1f MiB; growth %.2f%%", model, forwards, warmupForwards, seconds,
                    rssAfterWarmupMib, rssFinalMib, rssMaxAfterWarmupMib, growthPercent);
        }
    }

    public static Result run(NDManager manager, String id, int forwards, PrintStream log) throws IOException {
        if (forwards < 1) {
            throw new IllegalArgumentException("--soak needs at least 1 forward, got " + forwards);
        }
        int warmup = Math.min(forwards, Math.max(100, forwards / 10));
        int every = Math.max(1, forwards / 100);
        List<double[]> samples = new ArrayList<>();
        long t0 = System.nanoTime();
        try (BenchModel.Ours model = new BenchModel.Ours(id, manager, BenchModel.Variant.SCRIPTED)) {
            int s = BenchModel.inputSize(id);
            NDArray x = manager.randomNormal(0f, 1f, new Shape(1, BenchModel.inputChannels(id), s, s), DataType.FLOAT32);
            double afterWarmup = 0;
            double max = 0;
            for (int i = 1; i <= forwards; i++) {
                model.forward(x);
                if (i == warmup) {
                    afterWarmup = rssMib();
                }
                if (i % every == 0 || i == forwards) {
                    double rss = rssMib();
                    samples.add(new double[] {i, rss});
                    if (i >= warmup) {
                        max = Math.max(max, rss);
                    }
                    log.printf("soak %d/%d RSS %.1f MiB%n", i, forwards, rss);
                }
            }
            double last = rssMib();
            x.close();
            return new Result(id, forwards, warmup, afterWarmup, last, max,
                    100.0 * (last - afterWarmup) / afterWarmup, (System.nanoTime() - t0) / 1e9, samples);
        }
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
