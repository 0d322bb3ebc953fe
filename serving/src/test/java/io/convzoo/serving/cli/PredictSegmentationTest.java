package io.convzoo.serving.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convzoo.zoo.Datasets;
import io.convzoo.zoo.djl.SegmentationMasks;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashSet;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code convzoo predict} on a segmentation model (PyConvSegNet): the classes covering the image and,
 * with {@code --output mask.png}, the coloured mask at the image's size. The full run (an untrained
 * PyConvSegNet-50 at 473×473, tens of GMACs) is gated by {@code CONVZOO_SEGNET_CLI=1}; the
 * argument checks run always and stop before a model is built.
 */
class PredictSegmentationTest {

    private static final Path SAMPLE = Paths.get("").toAbsolutePath().getParent()
            .resolve("samples/fashion-mnist/00000-ankle-boot.png");

    @Test
    void maskOutputMustBeOnePngForOneImage(@TempDir Path dir) {
        CliRun jpg = CliRun.of("predict", "pyconvsegnet_pyconvresnet50", "--untrained", SAMPLE.toString(),
                "--output", dir.resolve("mask.jpg").toString());
        assertEquals(2, jpg.code(), jpg.err());
        assertTrue(jpg.err().contains(".png mask"), jpg.err());
        CliRun two = CliRun.of("predict", "pyconvsegnet_pyconvresnet50", "--untrained", SAMPLE.toString(),
                SAMPLE.toString(), "--output", dir.resolve("mask.png").toString());
        assertEquals(2, two.code(), two.err());
        assertTrue(two.err().contains("one image, got 2 images"), two.err());
        CliRun classifier = CliRun.of("predict", "res2net_small", SAMPLE.toString(), "--output",
                dir.resolve("mask.png").toString());
        assertTrue(classifier.err().contains("--output is for --input tensors and --embed"), classifier.err());
    }

    @Test
    @EnabledIfEnvironmentVariable(named = "CONVZOO_SEGNET_CLI", matches = "1")
    void writesTheColouredMaskAtTheImageSize(@TempDir Path dir) throws Exception {
        Path mask = dir.resolve("mask.png");
        CliRun run = CliRun.of("predict", "pyconvsegnet_pyconvresnet50", "--untrained", SAMPLE.toString(),
                "--output", mask.toString(), "--top", "3");
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().contains("wrote mask 28x28 to " + mask), run.out());
        BufferedImage image = ImageIO.read(mask.toFile());
        assertEquals(28, image.getWidth());
        assertEquals(28, image.getHeight());
        Set<Integer> palette = new HashSet<>();
        for (int c = 0; c < 150; c++) {
            palette.add(SegmentationMasks.color(c));
        }
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) {
                assertTrue(palette.contains(image.getRGB(x, y) & 0xFFFFFF), "pixel " + x + "," + y);
            }
        }
        String first = run.out().lines().findFirst().orElseThrow().strip();
        assertTrue(Datasets.ADE20K_SPEC.classNames().contains(first.substring(0, first.lastIndexOf(' ')).strip()),
                run.out());
    }
}
