package io.convzoo.zoo.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Record;
import java.io.ByteArrayOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** IDX parsing and validation, and the Fashion-MNIST dataset (skipped when it is not installed). */
class FashionMnistDatasetTest {

    @TempDir
    Path tmp;

    static byte[] idx(int type, int[] dims, int dataBytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.write(0);
        out.write(type);
        out.write(dims.length);
        for (int d : dims) {
            out.write(d >>> 24);
            out.write(d >>> 16);
            out.write(d >>> 8);
            out.write(d);
        }
        for (int i = 0; i < dataBytes; i++) {
            out.write(i % 10);
        }
        return out.toByteArray();
    }

    static Path gzip(Path file, byte[] bytes) throws IOException {
        try (GZIPOutputStream gz = new GZIPOutputStream(Files.newOutputStream(file))) {
            gz.write(bytes);
        }
        return file;
    }

    @Test
    void readsValidGzipAndPlainIdx() throws IOException {
        byte[] bytes = idx(0x08, new int[] {3, 2, 2}, 12);
        IdxFile gz = IdxFile.read(gzip(tmp.resolve("a.gz"), bytes), 3);
        Path plain = Files.write(tmp.resolve("a"), bytes);
        IdxFile raw = IdxFile.read(plain, 3);
        assertArrayEquals(new int[] {3, 2, 2}, gz.dims());
        assertEquals(3, gz.count());
        assertEquals(4, gz.itemSize());
        assertArrayEquals(raw.data(), gz.data());
        assertEquals(12, raw.data().length);
    }

    @Test
    void rejectsCorruptHeaders() {
        IOException magic = assertThrows(IOException.class,
                () -> IdxFile.parse(new byte[] {1, 2, 8, 3, 0, 0, 0, 0}, 3, "bad-magic"));
        assertTrue(magic.getMessage().contains("magic number") && magic.getMessage().contains("0x00000803"),
                magic.getMessage());
        IOException type = assertThrows(IOException.class,
                () -> IdxFile.parse(idx(0x0D, new int[] {1}, 1), 1, "floats"));
        assertTrue(type.getMessage().contains("unsigned bytes"), type.getMessage());
        IOException dims = assertThrows(IOException.class,
                () -> IdxFile.parse(idx(0x08, new int[] {1}, 1), 3, "labels-as-images"));
        assertTrue(dims.getMessage().contains("1 dimensions, expected 3"), dims.getMessage());
        IOException truncated = assertThrows(IOException.class,
                () -> IdxFile.parse(idx(0x08, new int[] {10, 28, 28}, 7839), 3, "short"));
        assertTrue(truncated.getMessage().contains("7840") && truncated.getMessage().contains("truncated"),
                truncated.getMessage());
        IOException tooLong = assertThrows(IOException.class,
                () -> IdxFile.parse(idx(0x08, new int[] {5}, 6), 1, "long"));
        assertTrue(tooLong.getMessage().contains("holds 6"), tooLong.getMessage());
        IOException header = assertThrows(IOException.class, () -> IdxFile.parse(new byte[] {0, 0, 8}, 1, "tiny"));
        assertTrue(header.getMessage().contains("too short"), header.getMessage());
    }

    @Test
    void missingDatasetSaysHowToInstall() {
        FashionMnistDataset data = FashionMnistDataset.builder().optDirectory(tmp).setBatch(4, false).build();
        FileNotFoundException e = assertThrows(FileNotFoundException.class, data::prepare);
        assertTrue(e.getMessage().contains("apt-get install dataset-fashion-mnist"), e.getMessage());
        assertTrue(e.getMessage().contains("--data DIR"), e.getMessage());
        assertFalse(FashionMnistDataset.isInstalled(tmp));
    }

    @Test
    void imagesAndLabelsCountsMustAgree() throws IOException {
        for (String prefix : new String[] {"train", "t10k"}) {
            gzip(tmp.resolve(prefix + "-images-idx3-ubyte.gz"), idx(0x08, new int[] {3, 28, 28}, 3 * 784));
            gzip(tmp.resolve(prefix + "-labels-idx1-ubyte.gz"), idx(0x08, new int[] {2}, 2));
        }
        FashionMnistDataset data = FashionMnistDataset.builder().optDirectory(tmp).setBatch(2, false).build();
        IOException e = assertThrows(IOException.class, data::prepare);
        assertTrue(e.getMessage().contains("3 images but") && e.getMessage().contains("2 labels"), e.getMessage());
    }

    @Test
    void tinySyntheticDatasetNormalizesAndBatches() throws Exception {
        // image i is all-constant (i * 50) so normalization is easy to check
        for (String prefix : new String[] {"train", "t10k"}) {
            byte[] img = idx(0x08, new int[] {4, 28, 28}, 0);
            byte[] all = java.util.Arrays.copyOf(img, img.length + 4 * 784);
            for (int i = 0; i < 4; i++) {
                java.util.Arrays.fill(all, img.length + i * 784, img.length + (i + 1) * 784, (byte) (i * 50));
            }
            Files.write(tmp.resolve(prefix + "-images-idx3-ubyte"), all);
            byte[] lab = idx(0x08, new int[] {4}, 0);
            byte[] labels = java.util.Arrays.copyOf(lab, lab.length + 4);
            for (int i = 0; i < 4; i++) {
                labels[lab.length + i] = (byte) (9 - i);
            }
            Files.write(tmp.resolve(prefix + "-labels-idx1-ubyte"), labels);
        }
        assertTrue(FashionMnistDataset.isInstalled(tmp));
        FashionMnistDataset data = FashionMnistDataset.builder().optDirectory(tmp).setBatch(3, false).build();
        data.prepare();
        assertEquals(4, data.size());
        assertEquals(7, data.label(2));
        float expected = (100 / 255f - 0.2860f) / 0.3530f;
        assertEquals(expected, data.pixels(2)[300], 1e-6);
        try (NDManager manager = NDManager.newBaseManager()) {
            Record r = data.get(manager, 1);
            assertEquals(new Shape(1, 28, 28), r.getData().head().getShape());
            assertEquals(8f, r.getLabels().head().getFloat());
            int batches = 0;
            for (Batch b : data.getData(manager)) {
                assertEquals(batches == 0 ? new Shape(3, 1, 28, 28) : new Shape(1, 1, 28, 28),
                        b.getData().head().getShape());
                batches++;
                b.close();
            }
            assertEquals(2, batches);
        }
    }

    @Test
    void realDatasetSubsetsAndAugmentation() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                FashionMnistDataset.isInstalled(FashionMnistDataset.defaultDirectory()),
                "Fashion-MNIST not installed (apt-get install dataset-fashion-mnist): skipped");
        FashionMnistDataset test = FashionMnistDataset.builder().optSplit(FashionMnistDataset.Split.TEST)
                .setBatch(10, false).build();
        test.prepare();
        assertEquals(10_000, test.size());

        FashionMnistDataset strat = FashionMnistDataset.builder().optSubset(1000, true).setBatch(10, false).build();
        strat.prepare();
        assertEquals(1000, strat.size());
        int[] perClass = new int[10];
        for (long i = 0; i < strat.size(); i++) {
            perClass[strat.label(i)]++;
        }
        assertArrayEquals(new int[] {100, 100, 100, 100, 100, 100, 100, 100, 100, 100}, perClass);

        FashionMnistDataset first = FashionMnistDataset.builder().optSubset(50, false).setBatch(10, false).build();
        first.prepare();
        assertEquals(50, first.size());
        assertEquals(9, first.label(0)); // the first training image is an ankle boot

        FashionMnistDataset aug = FashionMnistDataset.builder().optSubset(50, false).optAugmentation(4, true)
                .optSeed(7).setBatch(10, true).build();
        aug.prepare();
        FashionMnistDataset augAgain = FashionMnistDataset.builder().optSubset(50, false).optAugmentation(4, true)
                .optSeed(7).setBatch(10, true).build();
        augAgain.prepare();
        aug.setEpoch(3);
        augAgain.setEpoch(3);
        int differs = 0;
        for (long i = 0; i < 50; i++) {
            assertArrayEquals(aug.pixels(i), augAgain.pixels(i), "same seed and epoch, same augmentation");
            if (!java.util.Arrays.equals(aug.pixels(i), first.pixels(i))) {
                differs++;
            }
        }
        assertTrue(differs > 25, "augmentation changed only " + differs + " of 50 images");
        aug.setEpoch(4);
        boolean anyChanged = false;
        for (long i = 0; i < 50; i++) {
            anyChanged |= !java.util.Arrays.equals(aug.pixels(i), augAgain.pixels(i));
        }
        assertTrue(anyChanged, "another epoch draws other crops/flips");
    }
}
