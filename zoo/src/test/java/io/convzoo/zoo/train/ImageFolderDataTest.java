package io.convzoo.zoo.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Batch;
import io.convzoo.zoo.Datasets;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A generated folder of tiny PNGs read through DJL's ImageFolder with a seeded validation split. */
class ImageFolderDataTest {

    @TempDir
    Path tmp;

    @Test
    void splitsAFolderAndYieldsNormalizedGrayscaleTensors() throws Exception {
        for (String cls : List.of("cat", "dog", "owl")) {
            Files.createDirectories(tmp.resolve(cls));
            for (int i = 0; i < 4; i++) {
                BufferedImage img = new BufferedImage(12, 10, BufferedImage.TYPE_INT_RGB);
                img.setRGB(i, i, 0xffffff);
                ImageIO.write(img, "png", tmp.resolve(cls).resolve(i + ".png").toFile());
            }
        }
        ImageFolderData data = ImageFolderData.load(tmp, Datasets.FASHION_MNIST_SPEC, 28, 4, 0.25, 1);
        assertEquals(List.of("cat", "dog", "owl"), data.classNames());
        assertEquals(9, data.train().size());
        assertEquals(3, data.validation().size());
        try (NDManager m = NDManager.newBaseManager()) {
            for (Batch b : data.validation().getData(m, new SeededBatchSampler(3, false, false, 0))) {
                assertEquals(new Shape(3, 1, 28, 28), b.getData().head().getShape());
                assertEquals(new Shape(3), b.getLabels().head().getShape());
                b.close();
            }
        }
        ImageFolderData limited = ImageFolderData.load(tmp, Datasets.FASHION_MNIST_SPEC, 28, 4, 0.25, 1, 5, 2);
        assertEquals(5, limited.train().size(), "--subset on an image folder");
        assertEquals(2, limited.validation().size());
        ImageFolderData all = ImageFolderData.load(tmp, Datasets.FASHION_MNIST_SPEC, 28, 4, 0.25, 1, 100, 0);
        assertEquals(9, all.train().size(), "a limit above the size keeps everything");
    }
}
