package io.convzoo.zoo.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convzoo.zoo.Datasets;
import java.awt.image.BufferedImage;
import java.io.FileNotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link SegmentationFolder}: the ADE20K label shift (0 → 255 ignored, k → k − 1), the official
 * centre crop with mean / ignore padding, reproducible augmentation, and a clear error for every
 * malformed folder.
 */
class SegmentationFolderTest {

    private static final int IGNORE = SegmentationLoss.IGNORE_LABEL;

    @TempDir
    Path tmp;

    /** A 5×3 image (pixel (x, y) has red 40x, green 50y, blue 7) and its labels, in {@code split}. */
    private static void writePair(Path root, SegmentationFolder.Split split, String name, int[][] labels)
            throws Exception {
        Path images = Files.createDirectories(root.resolve("images").resolve(split.folder()));
        Path annotations = Files.createDirectories(root.resolve("annotations").resolve(split.folder()));
        BufferedImage image = new BufferedImage(labels[0].length, labels.length, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < labels.length; y++) {
            for (int x = 0; x < labels[0].length; x++) {
                image.setRGB(x, y, (40 * x) << 16 | (50 * y) << 8 | 7);
            }
        }
        ImageIO.write(image, "png", images.resolve(name + ".png").toFile());
        SegmentationFolders.writeLabels(annotations.resolve(name + ".png"), labels);
    }

    private static final int[][] LABELS = {{0, 1, 1, 2, 3}, {1, 1, 2, 2, 3}, {3, 3, 3, 0, 1}};

    @Test
    void validationCropShiftsTheLabelsAndPadsWithTheMeanAndTheIgnoreLabel() throws Exception {
        Path root = tmp.resolve("data");
        writePair(root, SegmentationFolder.Split.VALIDATION, "a", LABELS);
        SegmentationFolder val = SegmentationFolder.builder(root, SegmentationFolder.Split.VALIDATION).optCropSize(5)
                .optNumClasses(3).build();
        val.prepare();
        assertEquals(1, val.size());
        SegmentationFolder.Crop crop = val.crop(0);
        // 3 rows padded to 5: one row above (pad_h // 2), one below; label 0 -> 255, k -> k - 1
        assertArrayEquals(new int[] {
            IGNORE, IGNORE, IGNORE, IGNORE, IGNORE,
            IGNORE, 0, 0, 1, 2,
            0, 0, 1, 1, 2,
            2, 2, 2, IGNORE, 0,
            IGNORE, IGNORE, IGNORE, IGNORE, IGNORE}, crop.labels());
        float[] mean = Datasets.ADE20K_SPEC.mean();
        float[] std = Datasets.ADE20K_SPEC.std();
        for (int y = 0; y < 5; y++) {
            for (int x = 0; x < 5; x++) {
                int[] rgb = {40 * x, 50 * (y - 1), 7};
                for (int c = 0; c < 3; c++) {
                    float expected = y == 0 || y == 4 ? 0f : (rgb[c] / 255f - mean[c]) / std[c];
                    assertEquals(expected, crop.image()[(c * 5 + y) * 5 + x], 1e-6, "channel " + c + " at " + x + "," + y);
                }
            }
        }
    }

    @Test
    void augmentationDependsOnlyOnSeedEpochAndSample() throws Exception {
        Path root = SegmentationFolders.rectangles(tmp.resolve("rects"), 3, 1, 20, 4);
        SegmentationFolder a = SegmentationFolder.builder(root, SegmentationFolder.Split.TRAINING).optCropSize(17)
                .optNumClasses(3).optAugmentation(0.5f, 2f).optSeed(9).build();
        SegmentationFolder b = SegmentationFolder.builder(root, SegmentationFolder.Split.TRAINING).optCropSize(17)
                .optNumClasses(3).optAugmentation(0.5f, 2f).optSeed(9).build();
        a.prepare();
        b.prepare();
        a.setEpoch(3);
        b.setEpoch(3);
        assertArrayEquals(a.crop(1).labels(), b.crop(1).labels());
        assertArrayEquals(a.crop(1).image(), b.crop(1).image());
        boolean differs = false;
        for (int epoch = 0; epoch < 4 && !differs; epoch++) {
            b.setEpoch(epoch);
            differs = !java.util.Arrays.equals(a.crop(1).labels(), b.crop(1).labels());
        }
        assertTrue(differs, "another epoch draws another scale, flip or crop");
        for (int label : a.crop(2).labels()) {
            assertTrue(label >= 0 && label < 3 || label == IGNORE, "label " + label);
        }
    }

    @Test
    void malformedFoldersAreNamed() throws Exception {
        Path missing = tmp.resolve("nothing");
        assertThrowsWith(FileNotFoundException.class, () -> SegmentationFolder.builder(missing,
                SegmentationFolder.Split.TRAINING).build(), missing + " does not exist");

        Path noAnnotations = tmp.resolve("noann");
        writePair(noAnnotations, SegmentationFolder.Split.TRAINING, "a", LABELS);
        Files.createDirectories(noAnnotations.resolve("images/validation"));
        assertThrowsWith(FileNotFoundException.class, () -> SegmentationFolder.builder(noAnnotations,
                SegmentationFolder.Split.VALIDATION).build(), "has no annotations/validation/", "ADE20K's layout");

        Path orphan = tmp.resolve("orphan");
        writePair(orphan, SegmentationFolder.Split.TRAINING, "a", LABELS);
        Files.copy(orphan.resolve("images/training/a.png"), orphan.resolve("images/training/b.png"));
        assertThrowsWith(FileNotFoundException.class, () -> SegmentationFolder.builder(orphan,
                SegmentationFolder.Split.TRAINING).build(), "images/training/b.png has no annotation",
                "annotations/training/b.png");

        Path mismatch = tmp.resolve("mismatch");
        writePair(mismatch, SegmentationFolder.Split.TRAINING, "a", LABELS);
        SegmentationFolders.writeLabels(mismatch.resolve("annotations/training/a.png"), new int[][] {{1, 1, 1, 1}});
        SegmentationFolder bad = SegmentationFolder.builder(mismatch, SegmentationFolder.Split.TRAINING).build();
        assertThrowsWith(IllegalArgumentException.class, bad::prepare, "is 5x3 but its annotation", "is 4x1");

        Path range = tmp.resolve("range");
        writePair(range, SegmentationFolder.Split.TRAINING, "a", new int[][] {{1, 1, 1, 1, 1}, {1, 1, 4, 1, 1},
            {1, 1, 1, 1, 1}});
        SegmentationFolder outOfRange = SegmentationFolder.builder(range, SegmentationFolder.Split.TRAINING)
                .optNumClasses(3).optCropSize(5).build();
        outOfRange.prepare();
        assertThrowsWith(IllegalArgumentException.class, () -> outOfRange.crop(0), "holds label 4 at pixel (2, 1)",
                "1..3");

        Path rgb = tmp.resolve("rgb");
        writePair(rgb, SegmentationFolder.Split.TRAINING, "a", LABELS);
        Files.copy(rgb.resolve("images/training/a.png"), rgb.resolve("annotations/training/a.png"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        SegmentationFolder colour = SegmentationFolder.builder(rgb, SegmentationFolder.Split.TRAINING).optCropSize(5)
                .build();
        colour.prepare();
        assertThrowsWith(IllegalArgumentException.class, () -> colour.crop(0), "has 3 channels", "single-channel");

        Files.write(rgb.resolve(SegmentationFolder.CLASSES_FILE), List.of("only one"));
        assertThrowsWith(IllegalArgumentException.class, () -> SegmentationFolder.classNames(rgb, List.of()),
                "names 1 classes");
        assertEquals(Datasets.ADE20K_SPEC.classNames(), SegmentationFolder.classNames(orphan,
                Datasets.ADE20K_SPEC.classNames()), "no classes.txt: the fallback");
    }

    private static void assertThrowsWith(Class<? extends Exception> type, Executable call, String... parts) {
        Exception e = assertThrows(type, call);
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), e.getMessage());
        }
    }
}
