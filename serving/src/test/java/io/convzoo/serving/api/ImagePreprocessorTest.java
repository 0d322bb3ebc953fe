package io.convzoo.serving.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convzoo.zoo.Datasets;
import io.convzoo.zoo.ImagePreprocessing;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** The plain-Java Fashion-MNIST preprocessing gives what DJL's transforms give on the PyTorch engine. */
class ImagePreprocessorTest {

    @Test
    void javaResizeMatchesDjlTransforms() throws Exception {
        ImagePreprocessor pre = new ImagePreprocessor(Datasets.FASHION_MNIST_SPEC);
        Random random = new Random(7);
        int[][] sizes = {{56, 56}, {40, 40}, {20, 20}, {30, 17}, {28, 28}, {200, 90}};
        for (int[] size : sizes) {
            for (int type : new int[] {BufferedImage.TYPE_INT_RGB, BufferedImage.TYPE_BYTE_GRAY}) {
                BufferedImage img = new BufferedImage(size[0], size[1], type);
                for (int y = 0; y < size[1]; y++) {
                    for (int x = 0; x < size[0]; x++) {
                        img.setRGB(x, y, random.nextInt(0x1000000));
                    }
                }
                float[] djl = new ImagePreprocessing(Datasets.FASHION_MNIST_SPEC).viaDjl(img);
                float[] java = pre.toInput(png(img));
                assertEquals(28 * 28, java.length);
                assertEquals(djl.length, java.length);
                int same = 0;
                float std = Datasets.FASHION_MNIST_SPEC.std()[0];
                for (int i = 0; i < java.length; i++) {
                    float diff = Math.abs(java[i] - djl[i]) * std; // back in [0, 1] pixel units
                    assertTrue(diff <= 1f / 255 + 1e-6f, "pixel " + i + " of " + size[0] + "x" + size[1] + " differs by " + diff);
                    if (diff < 1e-6f) {
                        same++;
                    }
                }
                // Float rounding may move a value across an integer before truncation: rare.
                assertTrue(same >= java.length * 0.99, size[0] + "x" + size[1] + ": only " + same + " identical");
            }
        }
    }

    @Test
    void decodedPngRoundTripsThroughImageIo() throws Exception {
        BufferedImage back = ImageIO.read(new ByteArrayInputStream(TestImages.png(28, 3)));
        assertEquals(28, back.getWidth());
    }

    private static byte[] png(BufferedImage img) throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }
}
