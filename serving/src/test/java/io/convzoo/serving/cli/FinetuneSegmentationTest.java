package io.convzoo.serving.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code convzoo finetune} of a segmentation model on a folder in ADE20K's layout. The argument
 * checks run always and stop before a model is built; the full run (PyConvSegNet-50 trained one epoch
 * on 33×33 crops, then {@code predict RUN img.png --output mask.png} at 473×473) is gated by
 * {@code CONVZOO_SEGNET_CLI=1}, as PredictSegmentationTest's.
 */
class FinetuneSegmentationTest {

    private static final String SEGNET = "pyconvsegnet_pyconvresnet50";

    /** Two 40×40 images per split: a red square (label 2) on grey (label 1), its outline 0; classes.txt. */
    private static Path folder(Path root) throws Exception {
        for (String split : List.of("training", "validation")) {
            Path images = Files.createDirectories(root.resolve("images").resolve(split));
            Path annotations = Files.createDirectories(root.resolve("annotations").resolve(split));
            for (int i = 0; i < 2; i++) {
                BufferedImage image = new BufferedImage(40, 40, BufferedImage.TYPE_INT_RGB);
                BufferedImage labels = new BufferedImage(40, 40, BufferedImage.TYPE_BYTE_GRAY);
                for (int y = 0; y < 40; y++) {
                    for (int x = 0; x < 40; x++) {
                        boolean inside = x >= 8 + 4 * i && x < 28 + 4 * i && y >= 10 && y < 30;
                        boolean edge = inside && (x == 8 + 4 * i || y == 10 || x == 27 + 4 * i || y == 29);
                        image.setRGB(x, y, inside ? 0xC82828 : 0x464646);
                        labels.getRaster().setSample(x, y, 0, edge ? 0 : inside ? 2 : 1);
                    }
                }
                ImageIO.write(image, "png", images.resolve("img" + i + ".png").toFile());
                ImageIO.write(labels, "png", annotations.resolve("img" + i + ".png").toFile());
            }
        }
        Files.write(root.resolve("classes.txt"), List.of("background", "box"));
        return root;
    }

    @Test
    void segmentationOptionsAndDataAreChecked(@TempDir Path tmp) {
        CliRun classifier = CliRun.of("finetune", "res2net_small", "--aux-weight", "0.4", "--out",
                tmp.resolve("a").toString());
        assertEquals(2, classifier.code(), classifier.err());
        assertTrue(classifier.err().contains("--aux-weight and --crop-size are for segmentation models"),
                classifier.err());
        CliRun fashion = CliRun.of("finetune", SEGNET, "--out", tmp.resolve("b").toString());
        assertTrue(fashion.err().contains("is a segmentation model: --data takes a folder in ADE20K's layout"),
                fashion.err());
        CliRun missing = CliRun.of("finetune", SEGNET, "--data", tmp.resolve("none").toString(), "--out",
                tmp.resolve("c").toString());
        assertTrue(missing.err().contains("segmentation folder " + tmp.resolve("none") + " does not exist"),
                missing.err());
    }

    @Test
    @EnabledIfEnvironmentVariable(named = "CONVZOO_SEGNET_CLI", matches = "1")
    void aSegmentationRunPredictsMasks(@TempDir Path tmp) throws Exception {
        Path data = folder(tmp.resolve("data"));
        Path run = tmp.resolve("run");
        CliRun trained = CliRun.of("finetune", SEGNET, "--data", data.toString(), "--epochs", "1", "--batch-size", "2",
                "--crop-size", "33", "--aux-weight", "0.3", "--no-progress", "--out", run.toString());
        assertEquals(0, trained.code(), trained.err() + trained.out());
        assertTrue(trained.out().matches("(?s).*epoch 1/1  train loss \\S+ acc \\S+ mIoU \\S+  val loss \\S+ acc \\S+ "
                + "mIoU \\S+ .*"), trained.out());
        assertTrue(trained.out().contains("best validation mIoU "), trained.out());
        JsonObject history = JsonParser.parseString(Files.readString(run.resolve("history.json"))).getAsJsonObject();
        assertEquals(1, history.getAsJsonArray("val_miou").size());
        assertEquals(List.of("background", "box"), Files.readAllLines(run.resolve("synset.txt")));
        assertTrue(Files.readString(run.resolve("serving.properties")).contains("application=cv/semantic_segmentation"));

        Path mask = tmp.resolve("mask.png");
        Path image = data.resolve("images/validation/img0.png");
        CliRun predicted = CliRun.of("predict", run.toString(), image.toString(), "--output", mask.toString());
        assertEquals(0, predicted.code(), predicted.err() + predicted.out());
        assertTrue(predicted.out().contains("wrote mask 40x40 to " + mask), predicted.out());
        BufferedImage written = ImageIO.read(mask.toFile());
        assertEquals(40, written.getWidth());
        assertEquals(40, written.getHeight());
        String first = predicted.out().lines().findFirst().orElseThrow().strip();
        assertTrue(first.startsWith("background") || first.startsWith("box"), predicted.out());
    }
}
