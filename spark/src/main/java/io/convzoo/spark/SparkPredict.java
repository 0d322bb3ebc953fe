package io.convzoo.spark;

import io.convzoo.zoo.djl.ModelTarget;
import io.convzoo.zoo.djl.TranslateErrors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.CollectionAccumulator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code convzoo spark-predict}: batch inference of a folder (or glob) of image files with Spark, the
 * top-K classes or embeddings of each written as Parquet ({@code path}, {@code predictions} or
 * {@code embedding}, {@code error}). {@code local[*]} unless {@code --master} or spark-submit names a
 * master. {@code --bench N} times it against the single-process batched predictor instead.
 */
@Command(name = "spark-predict", mixinStandardHelpOptions = true,
        description = {"Classify (or embed) image files with Apache Spark and write the results as Parquet.",
                "--bench N instead times Spark against one offline batched predictor on N Fashion-MNIST test images."})
public final class SparkPredict implements Callable<Integer> {

    /** Tasks per core of the input (fewer than the file source's default for many small files). */
    static final int TASKS_PER_CORE = 4;

    @Option(names = "--model", paramLabel = "ID|DIR", defaultValue = "res2net_small",
            description = "Model id or directory written by 'convzoo import' (default ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--input", paramLabel = "DIR|GLOB", description = "Image files: a directory (read recursively) or a glob.")
    String input;

    @Option(names = "--output", paramLabel = "OUT.parquet", description = "Parquet directory to write (must not exist).")
    String output;

    @Option(names = "--master", paramLabel = "URL",
            description = "Spark master (default: spark-submit's, else local[*]; local[2] for --bench).")
    String master;

    @Option(names = "--top", paramLabel = "K", defaultValue = "5", description = "Classes per image (default ${DEFAULT-VALUE}).")
    int top;

    @Option(names = "--embed", description = "The pooled pre-logit embeddings instead of the top classes.")
    boolean embed;

    @Option(names = "--batch-size", paramLabel = "B", defaultValue = "8", description = "Images per forward (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "libtorch intra-op threads per task (default: spark.task.cpus).")
    int threads;

    @Option(names = "--bench", paramLabel = "IMAGES",
            description = "Benchmark on this many Fashion-MNIST test images (at least 2000 for docs/benchmarks.md).")
    Integer bench;

    @Option(names = "--rounds", defaultValue = "2", description = "With --bench: timed rounds of each side (default ${DEFAULT-VALUE}).")
    int rounds;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code. */
    public static int run(String... args) {
        return new CommandLine(new SparkPredict()).execute(args);
    }

    @Override
    public Integer call() {
        try {
            validate();
            ModelTarget.resolve(model, false); // an unknown id or bad directory fails before Spark starts
            boolean startedHere = SparkSession.getActiveSession().isEmpty();
            SparkSession spark = session();
            try {
                if (bench != null) {
                    SparkPredictBench.Result result = new SparkPredictBench(spark, this).run();
                    System.out.println(result.markdown());
                } else {
                    Summary summary = predict(spark, input, output, true);
                    System.out.println(summary);
                }
            } finally {
                if (startedHere) {
                    spark.stop();
                }
            }
            return 0;
        } catch (IOException | RuntimeException e) {
            System.err.println("convzoo spark-predict: " + TranslateErrors.message(e));
            if (System.getenv("CONVZOO_DEBUG") != null) {
                e.printStackTrace();
            }
            return 2;
        }
    }

    private void validate() {
        if (bench == null && (input == null || output == null)) {
            throw new IllegalArgumentException("give --input DIR|GLOB and --output OUT.parquet (or --bench N)");
        }
        if (bench != null && (input != null || output != null)) {
            throw new IllegalArgumentException("--bench writes its own images; leave out --input and --output");
        }
        if (top < 1 || batchSize < 1 || threads < 0 || rounds < 1 || (bench != null && bench < 1)) {
            throw new IllegalArgumentException("--top, --batch-size, --rounds and --bench must be >= 1, --threads >= 0");
        }
        if (output != null && Files.exists(Paths.get(output))) {
            throw new IllegalArgumentException("--output " + output + " already exists");
        }
        if (input != null && !input.contains("*") && !input.contains("?") && !input.contains("[")
                && !input.contains("://") && !Files.exists(Paths.get(input))) {
            throw new IllegalArgumentException("--input " + input + " does not exist");
        }
    }

    private SparkSession session() {
        SparkSession.Builder builder = SparkSession.builder().appName("convzoo spark-predict");
        if (master != null) {
            builder.master(master);
        } else if (System.getProperty("spark.master") == null) { // spark-submit sets it
            builder.master(bench != null ? "local[2]" : "local[*]");
        }
        return builder.getOrCreate();
    }

    /** The transformer the options describe. */
    ConvZooTransformer<?> transformer() {
        ConvZooTransformer<?> t = embed ? new ConvZooEmbedder() : new ConvZooClassifier().setTopK(top);
        return t.setModel(model).setBatchSize(batchSize).setThreadsPerTask(threads);
    }

    /**
     * Rows written, errors, time and model loads of one run.
     *
     * @param loadsPerExecutor how often each executor JVM had loaded the model when its tasks ran
     */
    record Summary(long rows, long errors, double seconds, Map<String, Integer> loadsPerExecutor) {
        double imagesPerSecond() {
            return rows / seconds;
        }

        @Override
        public String toString() {
            return String.format("spark-predict: %d rows (%d errors) in %.2f s, %.1f images/s; model loads per executor: %s",
                    rows, errors, seconds, imagesPerSecond(), loadsPerExecutor);
        }
    }

    /** Reads {@code in}, predicts, writes {@code out}; prints rows done as tasks finish when {@code progress}. */
    Summary predict(SparkSession spark, String in, String out, boolean progress) {
        CollectionAccumulator<String> loads = spark.sparkContext().collectionAccumulator("convzoo model loads");
        Dataset<Row> files = spark.read().format("binaryFile")
                .option("recursiveFileLookup", Files.isDirectory(Paths.get(in))).load(in);
        // Small image files are packed by Spark's 4 MB open cost (about 32 a task): each such task pays a
        // predictor, a Parquet file and its scheduling for a few batches. A few tasks per core are enough.
        int tasks = spark.sparkContext().defaultParallelism() * TASKS_PER_CORE;
        if (files.javaRDD().getNumPartitions() > tasks) {
            files = files.coalesce(tasks);
        }
        ConvZooTransformer<?> transformer = transformer().reportModelLoadsTo(loads);
        RowsWritten written = new RowsWritten(progress);
        spark.sparkContext().addSparkListener(written);
        long start = System.nanoTime();
        try {
            transformer.transform(files).select("path", embed ? "embedding" : "predictions", "error")
                    .write().parquet(out);
        } finally {
            spark.sparkContext().removeSparkListener(written);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Dataset<Row> result = spark.read().parquet(out);
        long rows = result.count();
        long errors = result.filter("error is not null").count();
        return new Summary(rows, errors, seconds, loadsPerExecutor(loads));
    }

    /** Each executor's report with the most loads (a later task saw every earlier load). */
    static Map<String, Integer> loadsPerExecutor(CollectionAccumulator<String> reports) {
        Map<String, Integer> perExecutor = new TreeMap<>();
        for (String report : reports.value()) {
            int eq = report.lastIndexOf('=');
            perExecutor.merge(report.substring(0, eq), Integer.parseInt(report.substring(eq + 1)), Math::max);
        }
        return perExecutor;
    }

    /** Rows the write has finished, from each task's output metrics; printed at most once a second. */
    private static final class RowsWritten extends SparkListener {
        private final boolean print;
        private final AtomicLong rows = new AtomicLong();
        private volatile long lastPrint;

        RowsWritten(boolean print) {
            this.print = print;
        }

        @Override
        public void onTaskEnd(SparkListenerTaskEnd taskEnd) {
            if (taskEnd.taskMetrics() == null) {
                return;
            }
            long done = rows.addAndGet(taskEnd.taskMetrics().outputMetrics().recordsWritten());
            long now = System.nanoTime();
            if (print && done > 0 && now - lastPrint > 1_000_000_000L) {
                lastPrint = now;
                System.out.println("spark-predict: " + done + " rows done");
            }
        }
    }
}
