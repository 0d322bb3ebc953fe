package io.convzoo.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.repository.zoo.ZooModel;
import io.convzoo.zoo.djl.ModelTarget;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * ConvZoo models on Spark in {@code local[2]}, checked against the single-JVM DJL predictor on the
 * Fashion-MNIST samples of the repository (res2net_small's weights ship in the zoo jar) plus one
 * corrupt file. One SparkSession for the class; in local mode the driver JVM is the one executor.
 *
 * <p>Probabilities agree within 1e-5, not bitwise: the reference predicts one image at a time, while
 * Spark's batches of 4 or more run channels-last, which sums in another order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConvZooTransformerTest {

    private static final String MODEL = "res2net_small";
    private static final int TOP_K = 3;
    private static final int POOLED_WIDTH = 512; // planes 128 x expansion 4 (docs/models.md)
    private static final String CORRUPT = "corrupt.png";

    @TempDir
    static Path tmp;
    static Path images;
    static SparkSession spark;
    static Map<String, Classifications> reference = new HashMap<>();

    @BeforeAll
    static void startSparkAndPredictOneByOne() throws Exception {
        images = Files.createDirectories(tmp.resolve("images"));
        try (Stream<Path> samples = Files.list(Paths.get("..", "samples", "fashion-mnist"))) {
            for (Path png : samples.filter(p -> p.toString().endsWith(".png")).toList()) {
                Files.copy(png, images.resolve(png.getFileName()));
            }
        }
        Files.write(images.resolve(CORRUPT), "this is no PNG at all".getBytes(StandardCharsets.UTF_8));
        spark = SparkSession.builder().master("local[2]").appName("ConvZooTransformerTest")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2")
                // 11 files of about 4 MB "open cost" each: two partitions, so two tasks share one model.
                .config("spark.sql.files.maxPartitionBytes", String.valueOf(24L << 20))
                .getOrCreate();
        try (ZooModel<Image, Classifications> model = ModelTarget.resolve(MODEL, false)
                .criteria(Image.class, Classifications.class, false).build().loadModel();
             Predictor<Image, Classifications> predictor = model.newPredictor()) {
            for (Path png : pngs()) {
                reference.put(png.getFileName().toString(), predictor.predict(ImageFactory.getInstance().fromFile(png)));
            }
        }
    }

    @AfterAll
    static void stopSpark() {
        if (spark != null) {
            spark.stop();
        }
    }

    private static List<Path> pngs() throws Exception {
        try (Stream<Path> files = Files.list(images)) {
            return files.filter(p -> !p.getFileName().toString().equals(CORRUPT)).sorted().toList();
        }
    }

    private static Dataset<Row> binaryFiles() {
        return spark.read().format("binaryFile").load(images.toString());
    }

    private static String fileName(String uri) {
        return uri.substring(uri.lastIndexOf('/') + 1);
    }

    /** Labels in order and probabilities within 1e-5 of the one-image predictor's. */
    private static void assertSameTopK(Classifications expected, List<Row> actual, String file) {
        List<Classifications.Classification> top = expected.topK(TOP_K);
        assertEquals(TOP_K, actual.size(), file);
        for (int i = 0; i < TOP_K; i++) {
            assertEquals(top.get(i).getClassName(), actual.get(i).getString(0), file + " rank " + i);
            assertEquals(top.get(i).getProbability(), actual.get(i).getDouble(1), 1e-5, file + " rank " + i);
        }
    }

    @Test
    @Order(1)
    void classifierToParquetMatchesTheSingleJvmPredictorWithOneLoadAcrossTasksAndTransforms() throws Exception {
        int loadsBefore = ExecutorModels.loads();
        Dataset<Row> input = binaryFiles();
        assertEquals(2, input.javaRDD().getNumPartitions(), "two tasks");
        ConvZooClassifier classifier = new ConvZooClassifier().setModel(MODEL).setTopK(TOP_K).setBatchSize(4);
        Path parquet = tmp.resolve("top3.parquet");
        classifier.transform(input).select("path", "predictions", "error").write().parquet(parquet.toString());

        List<Row> rows = spark.read().parquet(parquet.toString()).collectAsList();
        assertEquals(reference.size() + 1, rows.size());
        int checked = 0;
        for (Row row : rows) {
            String file = fileName(row.getString(0));
            if (file.equals(CORRUPT)) {
                assertNull(row.get(1), "no prediction for the corrupt file");
                assertTrue(row.getString(2).contains("cannot decode image"), row.getString(2));
                continue;
            }
            assertNull(row.get(2), file);
            assertSameTopK(reference.get(file), row.getList(1), file);
            checked++;
        }
        assertEquals(reference.size(), checked);

        // A second transform (other batch size and K) reuses the executor's model.
        long errors = classifier.copy(new org.apache.spark.ml.param.ParamMap()).setBatchSize(3).setTopK(1)
                .transform(input).filter("error is not null").count();
        assertEquals(1, errors);
        assertEquals(1, ExecutorModels.loads() - loadsBefore, "one model load in this executor JVM");
        assertEquals(1, ExecutorModels.loads(new ExecutorModels.Key(MODEL, Classifications.class)));
    }

    @Test
    @Order(2)
    void embedderGivesThePooledFeaturesOfTheSingleJvmPredictor() throws Exception {
        Map<String, float[]> expected = new HashMap<>();
        try (ZooModel<Image, float[]> model = ModelTarget.resolve(MODEL, false)
                .criteria(Image.class, float[].class, false).build().loadModel();
             Predictor<Image, float[]> predictor = model.newPredictor()) {
            for (Path png : pngs()) {
                expected.put(png.getFileName().toString(), predictor.predict(ImageFactory.getInstance().fromFile(png)));
            }
        }
        List<Row> rows = new ConvZooEmbedder().setModel(MODEL).setBatchSize(4).transform(binaryFiles())
                .select("path", "embedding", "error").collectAsList();
        assertEquals(expected.size() + 1, rows.size());
        for (Row row : rows) {
            String file = fileName(row.getString(0));
            if (file.equals(CORRUPT)) {
                assertNull(row.get(1));
                assertNotNull(row.get(2));
                continue;
            }
            List<Float> embedding = row.getList(1);
            assertEquals(POOLED_WIDTH, embedding.size(), file);
            assertEquals(POOLED_WIDTH, expected.get(file).length, file);
            float[] actual = new float[embedding.size()];
            for (int i = 0; i < actual.length; i++) {
                actual[i] = embedding.get(i);
            }
            assertArrayEquals(expected.get(file), actual, 1e-5f, file);
        }
    }

    @Test
    @Order(3)
    void imageSourceStructsGiveTheSamePredictionsAndAnErrorForTheUndecodableFile() throws Exception {
        Dataset<Row> structs = spark.read().format("image").option("dropInvalid", false).load(images.toString());
        List<Row> rows = new ConvZooClassifier().setModel(MODEL).setTopK(TOP_K).setBatchSize(4).transform(structs)
                .select("image.origin", "predictions", "error").collectAsList();
        assertEquals(reference.size() + 1, rows.size());
        for (Row row : rows) {
            String file = fileName(row.getString(0));
            if (file.equals(CORRUPT)) {
                assertNull(row.get(1));
                assertTrue(row.getString(2).contains("image source could not decode"), row.getString(2));
                continue;
            }
            assertNull(row.get(2), file);
            assertSameTopK(reference.get(file), row.getList(1), file);
        }
    }

    @Test
    @Order(4)
    void misconfigurationIsAClearErrorBeforeAnyTaskRuns() {
        Dataset<Row> input = binaryFiles();
        IllegalArgumentException noModel = assertThrows(IllegalArgumentException.class,
                () -> new ConvZooClassifier().transform(input));
        assertTrue(noModel.getMessage().contains("set the model"), noModel.getMessage());
        IllegalArgumentException wrongColumn = assertThrows(IllegalArgumentException.class,
                () -> new ConvZooClassifier().setModel(MODEL).setInputCol("length").transform(input));
        assertTrue(wrongColumn.getMessage().contains("column length holds bigint"), wrongColumn.getMessage());
        IllegalArgumentException badBatch = assertThrows(IllegalArgumentException.class,
                () -> new ConvZooClassifier().setBatchSize(0));
        assertTrue(badBatch.getMessage().contains("batchSize"), badBatch.getMessage());
    }

    @Test
    @Order(5)
    void savedTransformersAndPipelinesLoadBackWithTheirParams() throws Exception {
        ConvZooClassifier classifier = new ConvZooClassifier().setModel(MODEL).setTopK(2).setBatchSize(3)
                .setOutputCol("top2");
        Path saved = tmp.resolve("classifier");
        classifier.write().save(saved.toString());
        ConvZooClassifier loaded = ConvZooClassifier.load(saved.toString());
        assertEquals(classifier.uid(), loaded.uid());
        assertEquals(MODEL, loaded.getModel());
        assertEquals(2, loaded.getTopK());
        assertEquals(3, loaded.getBatchSize());
        assertEquals("top2", loaded.getOrDefault(loaded.outputCol()));

        org.apache.spark.ml.Pipeline pipeline = new org.apache.spark.ml.Pipeline().setStages(
                new org.apache.spark.ml.PipelineStage[] {
                    // Two ConvZoo stages in one pipeline need their own error columns.
                    new ConvZooEmbedder().setModel(MODEL).setErrorCol("embedding_error"), loaded});
        org.apache.spark.ml.PipelineModel fitted = pipeline.fit(binaryFiles());
        Path pipelineDir = tmp.resolve("pipeline");
        fitted.write().save(pipelineDir.toString());
        org.apache.spark.ml.PipelineModel back = org.apache.spark.ml.PipelineModel.load(pipelineDir.toString());
        assertEquals(2, back.stages().length);
        assertTrue(back.stages()[0] instanceof ConvZooEmbedder);
        ConvZooClassifier stage = (ConvZooClassifier) back.stages()[1];
        assertEquals(2, stage.getTopK());
        List<Row> rows = back.transform(binaryFiles()).select("path", "embedding", "top2").collectAsList();
        assertEquals(reference.size() + 1, rows.size());
        for (Row row : rows) {
            String file = fileName(row.getString(0));
            if (!file.equals(CORRUPT)) {
                assertEquals(POOLED_WIDTH, row.getList(1).size(), file);
                assertEquals(reference.get(file).best().getClassName(), ((Row) row.getList(2).get(0)).getString(0), file);
            }
        }
    }

    @Test
    @Order(6)
    void sparkPredictWritesParquetWithTopKAndErrors() throws Exception {
        Path out = tmp.resolve("cli.parquet");
        int code = new CommandLine(new SparkPredict()).execute("--model", MODEL, "--input", images.toString(),
                "--output", out.toString(), "--top", "2", "--batch-size", "4", "--master", "local[2]");
        assertEquals(0, code);
        assertEquals(1, ExecutorModels.loads(new ExecutorModels.Key(MODEL, Classifications.class)),
                "the CLI's transform reused the classifier the earlier tests loaded");
        List<Row> rows = spark.read().parquet(out.toString()).collectAsList();
        assertEquals(reference.size() + 1, rows.size());
        long errors = rows.stream().filter(r -> r.getAs("error") != null).count();
        assertEquals(1, errors);
        for (Row row : rows) {
            String file = fileName(row.getAs("path"));
            if (!file.equals(CORRUPT)) {
                List<Row> top = row.getList(row.fieldIndex("predictions"));
                assertEquals(reference.get(file).topK(2).get(0).getClassName(), top.get(0).getString(0), file);
            }
        }
    }
}
