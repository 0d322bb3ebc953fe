package io.convzoo.zoo.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The confusion matrix PNG: empty cells white, the fullest cells the darkest blue, sized for its classes. */
class TrainingChartsTest {

    @Test
    void emptyCellsAreWhiteAndTheFullestDarkest(@TempDir Path tmp) throws Exception {
        List<String> names = List.of("t-shirt/top", "trouser", "pullover");
        long[][] confusion = {{9, 0, 0}, {0, 9, 0}, {0, 0, 9}};
        ModelEvaluator.Evaluation eval = new ModelEvaluator.Evaluation(1.0, 27, 27, confusion, names);
        Path png = tmp.resolve("confusion.png");
        TrainingCharts.writeConfusion(eval, png);
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(260 + 60 * 3, image.getWidth());
        assertEquals(220 + 50 * 3, image.getHeight());
        int darkest = TrainingCharts.CONFUSION_COLORS[TrainingCharts.CONFUSION_COLORS.length - 1].getRGB();
        long dark = 0;
        long white = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int rgb = image.getRGB(x, y);
                dark += rgb == darkest ? 1 : 0;
                white += rgb == 0xFFFFFFFF ? 1 : 0;
            }
        }
        // Three full cells of one colour, six empty ones white: twice the dark area is white at least.
        assertTrue(dark > 1000, "the diagonal cells are drawn in the darkest blue: " + dark + " pixels");
        assertTrue(white > 2 * dark, "the empty cells are white: " + white + " white pixels, " + dark + " dark");
    }
}
