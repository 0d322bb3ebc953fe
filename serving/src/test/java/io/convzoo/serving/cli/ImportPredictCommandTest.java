package io.convzoo.serving.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.training.ParameterStore;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.ModelRegistry;
import io.convzoo.zoo.ModelSpec;
import io.convzoo.zoo.OfficialNames;
import io.convzoo.zoo.djl.PretrainedWeights;
import java.awt.image.BufferedImage;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code convzoo import} and {@code convzoo predict} end to end, in process. The checkpoint of the
 * registered {@code res2net_small} is written here as an npz of official keys holding seeded
 * values (the zoo module's OfficialParityTest checks the same loading path against PyTorch's
 * logits on torch.save files of every family); the wrong-architecture, unsafe and corrupt cases
 * use the zoo module's committed PyTorch fixtures.
 */
class ImportPredictCommandTest {

    private static final String ID = "res2net_small";
    private static final Path ZOO_FIXTURES = Paths.get("").toAbsolutePath().getParent()
            .resolve("zoo").resolve("src").resolve("test").resolve("resources");

    /**
     * Writes an npz checkpoint of {@code spec} built with {@code args}: every official key with
     * seeded values (running variances positive), and returns the logits of that block for {@code x}.
     */
    static float[] writeCheckpoint(ModelSpec spec, ModelArgs args, NDArray x, Path file, long seed)
            throws Exception {
        return writeCheckpoint(spec, args, x, file, seed, key -> true);
    }

    private static float[] writeCheckpoint(ModelSpec spec, ModelArgs args, NDArray x, Path file, long seed,
                                           Predicate<String> keep) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = spec.build(args);
            block.initialize(manager, DataType.FLOAT32, x.getShape());
            Random random = new Random(seed);
            NDList tensors = new NDList();
            for (Map.Entry<String, Parameter> e : OfficialNames.of(block).entrySet()) {
                NDArray a = e.getValue().getArray();
                float[] v = new float[(int) a.size()];
                boolean variance = e.getKey().endsWith("running_var");
                double scale = a.getShape().dimension() > 1 ? Math.sqrt(2.0 / (a.size() / a.getShape().get(0))) : 0.1;
                for (int i = 0; i < v.length; i++) {
                    v[i] = variance ? 0.5f + random.nextFloat() : (float) (random.nextGaussian() * scale)
                            + (e.getKey().endsWith(".weight") && a.getShape().dimension() == 1 ? 1f : 0f);
                }
                a.set(v);
                NDArray copy = manager.create(v, a.getShape());
                copy.setName(e.getKey());
                if (keep.test(e.getKey())) {
                    tensors.add(copy);
                }
            }
            try (OutputStream out = Files.newOutputStream(file)) {
                tensors.encode(out, NDList.Encoding.NPZ);
            }
            NDArray local = manager.create(x.toFloatArray(), x.getShape());
            return block.forward(new ParameterStore(manager, false), new NDList(local), false).head().toFloatArray();
        }
    }

    /**
     * Within {@code tol} relative to the largest expected magnitude (at least 1): loaded models run
     * their BatchNorms folded into the convs, which rounds differently at the scale of the logits.
     */
    static void assertClose(float[] expected, float[] actual, double tol) {
        assertEquals(expected.length, actual.length);
        double scale = 1;
        for (float e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(expected[i] - actual[i]) <= tol * scale,
                    "logit " + i + ": expected " + expected[i] + ", got " + actual[i]);
        }
    }

    static float[] readNpy(Path file) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            return Npy.read(manager, file).toFloatArray();
        }
    }

    @Test
    void importedDirectoryPredictsTheSameLogitsThroughTheCliAndCriteria(@TempDir Path tmp) throws Exception {
        ModelSpec spec = ModelRegistry.get(ID);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.create(randomInput(2 * 28 * 28 * 2, 7), new Shape(2, 1, 28, 28));
            Path checkpoint = tmp.resolve("res2net_small.npz");
            float[] expected = writeCheckpoint(spec, spec.defaults(), x, checkpoint, 11);
            Path xFile = tmp.resolve("x.npy");
            Npy.write(x, xFile);

            Path dir = tmp.resolve("imported");
            CliRun imported = CliRun.of("import", ID, "--checkpoint", checkpoint.toString(), "--out", dir.toString());
            assertEquals(0, imported.code(), imported.err());
            assertTrue(imported.out().contains("res2net_small.npz (npz)"), imported.out());
            assertTrue(Files.isRegularFile(dir.resolve(ID + "-0000.params")));
            assertTrue(Files.isRegularFile(dir.resolve("serving.properties")));

            Path yFile = tmp.resolve("y.npy");
            CliRun predicted = CliRun.of("predict", dir.toString(), "--input", xFile.toString(), "--output", yFile.toString());
            assertEquals(0, predicted.code(), predicted.err());
            float[] logits = readNpy(yFile);
            assertEquals(20, logits.length, "2 images x 10 classes");
            assertClose(expected, logits, 1e-5);

            Criteria<NDList, NDList> criteria = Criteria.builder().setTypes(NDList.class, NDList.class)
                    .optModelUrls(dir.toUri().toString()).build();
            try (ZooModel<NDList, NDList> model = criteria.loadModel();
                 Predictor<NDList, NDList> predictor = model.newPredictor()) {
                NDArray in = model.getNDManager().create(x.toFloatArray(), x.getShape());
                assertClose(expected, predictor.predict(new NDList(in)).head().toFloatArray(), 1e-5);
            }
        }
    }

    @Test
    void importIntoTheLocalRepositoryMakesPretrainedTrueWorkWithTheImportedClassCount(@TempDir Path tmp)
            throws Exception {
        // Imported weights under the repository root win over the ones shipped in the jar; the
        // "missing" step needs a small model whose weights do not ship, when there is one.
        String id = ModelRegistry.all().stream()
                .filter(s -> "fashion-mnist".equals(s.properties().get("dataset")))
                .filter(s -> !PretrainedWeights.isInstalled(s.id(), "fashion-mnist"))
                .findFirst().map(ModelSpec::id).orElse("oct_resnet_small");
        boolean ships = PretrainedWeights.isInstalled(id, "fashion-mnist");
        ModelSpec spec = ModelRegistry.get(id);
        String previous = System.setProperty(PretrainedWeights.ROOT_PROPERTY, tmp.resolve("root").toString());
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.create(randomInput(28 * 28, 3), new Shape(1, 1, 28, 28));
            Path xFile = tmp.resolve("x.npy");
            Npy.write(x, xFile);

            if (!ships) {
                CliRun missing = CliRun.of("predict", id, "--input", xFile.toString());
                assertEquals(2, missing.code());
                assertTrue(missing.err().startsWith("convzoo: pretrained weights for '" + id + "'"), missing.err());
                assertEquals(1, missing.err().strip().lines().count(), missing.err());
            }

            Path checkpoint = tmp.resolve("seven.npz");
            float[] expected = writeCheckpoint(spec, spec.defaults().withNumClasses(7), x, checkpoint, 5);
            CliRun imported = CliRun.of("import", id, "--checkpoint", checkpoint.toString(), "--num-classes", "7");
            assertEquals(0, imported.code(), imported.err());
            Path installed = tmp.resolve("root").resolve(id).resolve("fashion-mnist");
            assertTrue(Files.isRegularFile(installed.resolve(id + "-0000.params")), imported.out());
            assertTrue(imported.out().contains("installed as the pretrained weights"), imported.out());

            Path yFile = tmp.resolve("y.npy");
            CliRun predicted = CliRun.of("predict", id, "--input", xFile.toString(), "--output", yFile.toString());
            assertEquals(0, predicted.code(), predicted.err());
            assertClose(expected, readNpy(yFile), 1e-5);

            Criteria<NDList, NDList> criteria = Criteria.builder().setTypes(NDList.class, NDList.class)
                    .optGroupId("io.convzoo").optArtifactId(id).optArgument("pretrained", true).build();
            try (ZooModel<NDList, NDList> model = criteria.loadModel();
                 Predictor<NDList, NDList> predictor = model.newPredictor()) {
                NDArray in = model.getNDManager().create(x.toFloatArray(), x.getShape());
                assertClose(expected, predictor.predict(new NDList(in)).head().toFloatArray(), 1e-5);
            }
        } finally {
            if (previous == null) {
                System.clearProperty(PretrainedWeights.ROOT_PROPERTY);
            } else {
                System.setProperty(PretrainedWeights.ROOT_PROPERTY, previous);
            }
        }
    }

    @Test
    void wrongArchitectureGivesTheKeyAndShapeReportAndWritesNothing(@TempDir Path tmp) {
        Path pyconv = ZOO_FIXTURES.resolve("parity").resolve("pyconvresnet_reduced_legacy.pth");
        assertTrue(Files.isRegularFile(pyconv), "zoo fixture " + pyconv);
        Path dir = tmp.resolve("out");
        CliRun r = CliRun.of("import", ID, "--checkpoint", pyconv.toString(), "--out", dir.toString());
        assertEquals(2, r.code());
        String first = r.err().lines().findFirst().orElse("");
        assertTrue(first.matches("convzoo: checkpoint pyconvresnet_reduced_legacy.pth does not fit res2net_small: "
                + "\\d+ missing, \\d+ unexpected, \\d+ shape mismatches.*"), first);
        // The report names keys of both sides and the shapes that differ.
        assertTrue(r.err().contains("missing in the checkpoint:"), r.err());
        assertTrue(r.err().contains("layer1.0.convs.0.weight"), "a Res2Net key the checkpoint lacks: " + r.err());
        assertTrue(r.err().contains("layer1.0.conv2.conv2_1.weight"), "a PyConv key the model lacks: " + r.err());
        assertTrue(r.err().contains("conv1.weight: checkpoint (16, 3, 7, 7), block (32, 1, 3, 3)"), r.err());
        assertFalse(Files.exists(dir.resolve(ID + "-0000.params")));
        assertEquals("", r.out());
    }

    @Test
    void nonStrictImportKeepsTheOfficialInitForMissingKeysButStillRefusesShapeMismatches(@TempDir Path tmp)
            throws Exception {
        ModelSpec spec = ModelRegistry.get(ID);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.create(randomInput(28 * 28, 4), new Shape(1, 1, 28, 28));
            Path checkpoint = tmp.resolve("full.npz");
            writeCheckpoint(spec, spec.defaults(), x, checkpoint, 9);
            CliRun twelve = CliRun.of("import", ID, "--checkpoint", checkpoint.toString(), "--num-classes", "12",
                    "--out", tmp.resolve("a").toString(), "--non-strict");
            assertEquals(2, twelve.code());
            assertTrue(twelve.err().contains("fc.weight: checkpoint (10, 512), block (12, 512)"), twelve.err());

            // A backbone without its classifier: strict refuses, non-strict keeps fc's initialization.
            Path backbone = tmp.resolve("backbone.npz");
            writeCheckpoint(spec, spec.defaults(), x, backbone, 9, key -> !key.startsWith("fc."));
            CliRun strict = CliRun.of("import", ID, "--checkpoint", backbone.toString(), "--out", tmp.resolve("b").toString());
            assertEquals(2, strict.code());
            assertTrue(strict.err().startsWith("convzoo: checkpoint backbone.npz does not fit"), strict.err());
            assertTrue(strict.err().contains("2 missing, 0 unexpected, 0 shape mismatches (strict; see --non-strict)"),
                    strict.err());
            CliRun lenient = CliRun.of("import", ID, "--checkpoint", backbone.toString(), "--out", tmp.resolve("b").toString(),
                    "--non-strict");
            assertEquals(0, lenient.code(), lenient.err());
            assertTrue(lenient.err().contains("2 parameters not in the checkpoint keep the official initialization: "
                    + "fc.weight (10, 512), fc.bias (10)"), lenient.err());
            assertTrue(Files.isRegularFile(tmp.resolve("b").resolve(ID + "-0000.params")));
        }
    }

    @Test
    void maliciousAndCorruptCheckpointsAreOneLineErrors(@TempDir Path tmp) {
        Path marker = Paths.get("/tmp/convzoo-checkpoint-pwned");
        for (String file : new String[] {"malicious_zip.pth", "malicious_legacy.pth"}) {
            CliRun r = CliRun.of("import", ID, "--checkpoint", ZOO_FIXTURES.resolve("checkpoints").resolve(file).toString(),
                    "--out", tmp.resolve("m").toString());
            assertEquals(2, r.code(), file);
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().contains("system"), "names the refused global: " + r.err());
            assertFalse(Files.exists(marker), "nothing from the pickle ran");
        }
        CliRun truncated = CliRun.of("import", ID, "--checkpoint",
                ZOO_FIXTURES.resolve("checkpoints").resolve("tiny_zip_truncated.pth").toString(), "--out",
                tmp.resolve("t").toString());
        assertEquals(2, truncated.code());
        assertEquals(1, truncated.err().strip().lines().count(), truncated.err());
        assertTrue(truncated.err().startsWith("convzoo: "), truncated.err());

        CliRun absent = CliRun.of("import", ID, "--checkpoint", tmp.resolve("nope.pth").toString(), "--out", tmp.toString());
        assertEquals(2, absent.code());
        assertTrue(absent.err().startsWith("convzoo: checkpoint not found: "), absent.err());
        assertFalse(Files.exists(tmp.resolve("m").resolve(ID + "-0000.params")));
    }

    @Test
    void importWithoutOutNeedsTheRepositoryRoot(@TempDir Path tmp) {
        String previous = System.clearProperty(PretrainedWeights.ROOT_PROPERTY);
        try {
            if (System.getenv(PretrainedWeights.ROOT_ENV) != null) {
                return; // the environment names a root; then --out is optional by design
            }
            CliRun r = CliRun.of("import", ID, "--checkpoint", tmp.resolve("x.pth").toString());
            assertEquals(2, r.code());
            assertTrue(r.err().startsWith("convzoo: give --out DIR, or set the local repository root"), r.err());
        } finally {
            if (previous != null) {
                System.setProperty(PretrainedWeights.ROOT_PROPERTY, previous);
            }
        }
    }

    @Test
    void wrongInputShapeNamesTheExpectedShape(@TempDir Path tmp) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Path xFile = tmp.resolve("rgb.npy");
            Npy.write(manager.create(randomInput(3 * 28 * 28, 1), new Shape(1, 3, 28, 28)), xFile);
            CliRun r = CliRun.of("predict", ID, "--untrained", "--input", xFile.toString());
            assertEquals(2, r.code());
            assertEquals("convzoo: rgb.npy has shape (1, 3, 28, 28); res2net_small expects a float32 NCHW tensor "
                    + "of shape (N, 1, H, W), e.g. (1, 1, 28, 28)", r.err().strip());

            Path flat = tmp.resolve("flat.npy");
            Npy.write(manager.create(randomInput(28 * 28, 1), new Shape(28, 28)), flat);
            CliRun r2 = CliRun.of("predict", ID, "--untrained", "--input", flat.toString());
            assertEquals(2, r2.code());
            assertTrue(r2.err().contains("expects a float32 NCHW tensor of shape (N, 1, H, W)"), r2.err());

        }
    }

    @Test
    void imagePredictionPrintsTheTopFiveClasses(@TempDir Path tmp) throws Exception {
        BufferedImage img = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
        Random random = new Random(3);
        for (int y = 0; y < 30; y++) {
            for (int x = 0; x < 40; x++) {
                img.setRGB(x, y, random.nextInt(0xFFFFFF));
            }
        }
        Path file = tmp.resolve("shirt.png");
        ImageIO.write(img, "png", file.toFile());
        CliRun r = CliRun.of("predict", ID, file.toString(), "--untrained");
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals(5, lines.length, r.out());
        double previous = 1;
        for (String line : lines) {
            double p = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            assertTrue(p <= previous && p >= 0, r.out());
            previous = p;
        }

        // Several images: the model is loaded once, each image gets a header line and its top classes.
        CliRun two = CliRun.of("predict", ID, file.toString(), file.toString(), "--untrained", "--top", "3");
        assertEquals(0, two.code(), two.err());
        String[] rows = two.out().strip().split("\n");
        assertEquals(8, rows.length, two.out());
        assertEquals(file + ":", rows[0]);
        assertEquals(rows[1], rows[5], "the same image gives the same answer");
    }

    @Test
    void embedWritesOneRowPerImageEqualToTheCriteriaEmbedding(@TempDir Path tmp) throws Exception {
        Path samples = ZOO_FIXTURES.getParent().getParent().getParent().getParent().resolve("samples/fashion-mnist");
        Path boot = samples.resolve("00000-ankle-boot.png");
        Path trouser = samples.resolve("00002-trouser.png");
        Path out = tmp.resolve("e.npy");
        CliRun r = CliRun.of("predict", ID, boot.toString(), trouser.toString(), "--embed", "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        float[] rows = readNpy(out);
        Criteria<ai.djl.modality.cv.Image, float[]> criteria = Criteria.builder()
                .setTypes(ai.djl.modality.cv.Image.class, float[].class)
                .optGroupId("io.convzoo").optArtifactId(ID).build();
        try (ZooModel<ai.djl.modality.cv.Image, float[]> model = criteria.loadModel();
             Predictor<ai.djl.modality.cv.Image, float[]> predictor = model.newPredictor()) {
            float[] first = predictor.predict(ai.djl.modality.cv.ImageFactory.getInstance().fromFile(boot));
            float[] second = predictor.predict(ai.djl.modality.cv.ImageFactory.getInstance().fromFile(trouser));
            assertEquals("wrote embeddings (2, " + first.length + ") to " + out, r.out().strip());
            assertEquals(2 * first.length, rows.length);
            float[] both = new float[rows.length];
            System.arraycopy(first, 0, both, 0, first.length);
            System.arraycopy(second, 0, both, first.length, second.length);
            assertClose(both, rows, 1e-5);
        }
        CliRun printed = CliRun.of("predict", ID, boot.toString(), "--embed");
        assertEquals(0, printed.code(), printed.err());
        assertEquals(rows.length / 2, printed.out().strip().split(" ").length, "one line of C values");
        CliRun zero = CliRun.of("predict", ID, boot.toString(), "--top", "0");
        assertEquals(2, zero.code());
        assertEquals("convzoo: --top must be at least 1, got 0", zero.err().strip());
        CliRun missing = CliRun.of("predict", ID, "--input", tmp.resolve("missing.npy").toString());
        assertEquals(2, missing.code());
        assertEquals("convzoo: input file not found: " + tmp.resolve("missing.npy")
                + " (--input takes a float32 NCHW tensor saved with numpy.save)", missing.err().strip());
        CliRun wrong = CliRun.of("predict", ID, "--input", out.toString(), "--embed");
        assertEquals(2, wrong.code());
        assertEquals("convzoo: --embed is for image files; --input gives the logits", wrong.err().strip());
    }

    @Test
    void npyWriterOutputIsReadBackByDjlsDecoder(@TempDir Path tmp) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            for (Shape shape : new Shape[] {new Shape(3), new Shape(2, 5), new Shape(1, 2, 3, 4)}) {
                float[] v = randomInput((int) shape.size(), 2);
                Path file = tmp.resolve("a" + shape.dimension() + ".npy");
                Npy.write(manager.create(v, shape), file);
                byte[] bytes = Files.readAllBytes(file);
                int headerEnd = 10 + (bytes[8] & 0xff) + ((bytes[9] & 0xff) << 8);
                assertEquals(0, headerEnd % 64, "header padded to 64 bytes");
                assertEquals(headerEnd + 4L * v.length, bytes.length);
                NDArray back = Npy.read(manager, file);
                assertEquals(shape, back.getShape());
                assertClose(v, back.toFloatArray(), 0);
            }
        }
    }

    /**
     * A full-size official checkpoint, when one is given: CONVZOO_FULL_CHECKPOINT=file.pth and
     * CONVZOO_FULL_MODEL=id (e.g. res2net50_26w_4s-06e79181.pth and res2net50_26w_4s); optionally
     * CONVZOO_FULL_INPUT=x.npy and CONVZOO_FULL_LOGITS=y.npy from PyTorch for a 1e-4 parity check
     * (tools/parity_fixtures.py covers the reduced configurations in every build).
     */
    @Test
    @EnabledIfEnvironmentVariable(named = "CONVZOO_FULL_CHECKPOINT", matches = ".+")
    void fullSizeOfficialCheckpointImportsStrictly(@TempDir Path tmp) throws Exception {
        String id = System.getenv().getOrDefault("CONVZOO_FULL_MODEL", "res2net50_26w_4s");
        Path dir = tmp.resolve(id);
        CliRun r = CliRun.of("import", id, "--checkpoint", System.getenv("CONVZOO_FULL_CHECKPOINT"), "--out", dir.toString());
        assertEquals(0, r.code(), r.err());
        String input = System.getenv("CONVZOO_FULL_INPUT");
        String expected = System.getenv("CONVZOO_FULL_LOGITS");
        if (input != null && expected != null) {
            Path y = tmp.resolve("y.npy");
            CliRun p = CliRun.of("predict", dir.toString(), "--input", input, "--output", y.toString());
            assertEquals(0, p.code(), p.err());
            assertClose(readNpy(Paths.get(expected)), readNpy(y), 1e-4);
        }
    }

    static float[] randomInput(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }
}
