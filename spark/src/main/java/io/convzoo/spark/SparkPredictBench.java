package io.convzoo.spark;

import ai.djl.inference.Predictor;
import ai.djl.modality.cv.Image;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import io.convzoo.zoo.infer.EngineThreads;
import io.convzoo.zoo.train.FashionMnistDataset;
import io.convzoo.zoo.train.IdxFile;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.spark.sql.SparkSession;

/**
 * {@code spark-predict --bench N}: N Fashion-MNIST test images written as PNG files, then, alternated
 * in one process, spark-predict over them (read, decode, batched forwards, Parquet write) and one
 * offline predictor (read, decode, {@code batchPredict} in batches of the same size). One warm-up
 * round of each first (model load, TorchScript compilation, JIT), untimed.
 */
final class SparkPredictBench {

    /** Images/s of every timed round of each side. */
    record Result(int images, int batchSize, String master, String threads, List<Double> spark, List<Double> offline,
                  Map<String, Integer> loadsPerExecutor) {
        static double mean(List<Double> values) {
            return values.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        }

        double ratio() {
            return mean(spark) / mean(offline);
        }

        String markdown() {
            return String.format("| spark-predict %s | %s img/s (mean %.1f) |%n| offline batched predictor | %s img/s "
                    + "(mean %.1f) |%n| spark / offline | %.2f× |%n%n%d images, batch %d, libtorch intra-op threads %s; "
                    + "model loads per executor: %s", master, rounded(spark), mean(spark), rounded(offline),
                    mean(offline), ratio(), images, batchSize, threads, loadsPerExecutor);
        }

        private static String rounded(List<Double> values) {
            return String.join(", ", values.stream().map(v -> String.format("%.1f", v)).toList());
        }
    }

    private final SparkSession spark;
    private final SparkPredict options;

    SparkPredictBench(SparkSession spark, SparkPredict options) {
        this.spark = spark;
        this.options = options;
    }

    Result run() throws IOException {
        Path work = Files.createTempDirectory("convzoo-spark-bench");
        try {
            Path images = writePngs(work.resolve("images"), options.bench);
            List<Path> files;
            try (Stream<Path> list = Files.list(images)) {
                files = list.sorted().toList();
            }
            List<Double> sparkRates = new ArrayList<>();
            List<Double> offlineRates = new ArrayList<>();
            Map<String, Integer> loads = Map.of();
            for (int round = 0; round <= options.rounds; round++) { // round 0: warm-up
                SparkPredict.Summary summary = options.predict(spark, images.toString(),
                        work.resolve("out-" + round + ".parquet").toString(), false);
                double offline = offlineImagesPerSecond(files);
                System.err.printf("round %d%s: spark %.1f img/s, offline %.1f img/s%n", round,
                        round == 0 ? " (warm-up)" : "", summary.imagesPerSecond(), offline);
                if (round > 0) {
                    sparkRates.add(summary.imagesPerSecond());
                    offlineRates.add(offline);
                }
                loads = summary.loadsPerExecutor();
            }
            String threads = System.getProperty(EngineThreads.INTRA_OP_PROPERTY,
                    System.getenv().getOrDefault("OMP_NUM_THREADS", "libtorch default"));
            return new Result(files.size(), options.batchSize, spark.sparkContext().master(), threads, sparkRates,
                    offlineRates, loads);
        } finally {
            deleteRecursively(work);
        }
    }

    /** The first {@code count} test images as 8-bit gray PNG files. */
    static Path writePngs(Path dir, int count) throws IOException {
        IdxFile test = FashionMnistDataset.readImages(FashionMnistDataset.defaultDirectory(), FashionMnistDataset.Split.TEST);
        if (count > test.count()) {
            throw new IllegalArgumentException("--bench " + count + ": the test split holds " + test.count() + " images");
        }
        Files.createDirectories(dir);
        int size = FashionMnistDataset.SIZE;
        for (int i = 0; i < count; i++) {
            BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_BYTE_GRAY);
            byte[] pixels = Arrays.copyOfRange(test.data(), i * test.itemSize(), (i + 1) * test.itemSize());
            image.getRaster().setDataElements(0, 0, size, size, pixels);
            ImageIO.write(image, "png", dir.resolve(String.format("%05d.png", i)).toFile());
        }
        return dir;
    }

    /** One predictor of this JVM's model, every file read and decoded, batchPredict per batch. */
    private double offlineImagesPerSecond(List<Path> files) throws IOException {
        ConvZooTransformer<?> transformer = options.transformer();
        ZooModel<Image, Object> model = ExecutorModels.get(
                new ExecutorModels.Key(options.model, transformer.output().djlOutput), Math.max(1, options.threads));
        long start = System.nanoTime();
        long predicted = 0;
        try (Predictor<Image, Object> predictor = model.newPredictor()) {
            for (int from = 0; from < files.size(); from += options.batchSize) {
                List<Image> batch = new ArrayList<>();
                for (Path file : files.subList(from, Math.min(files.size(), from + options.batchSize))) {
                    batch.add(ImageInputs.decode(Files.readAllBytes(file)));
                }
                predicted += predictor.batchPredict(batch).size();
            }
        } catch (TranslateException e) {
            throw new IllegalStateException("offline prediction failed: " + e.getMessage(), e);
        }
        return predicted / ((System.nanoTime() - start) / 1e9);
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
    }
}
