package io.convzoo.zoo.djl;

import ai.djl.modality.cv.output.CategoryMask;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A segmentation model's {@link CategoryMask} as a picture and as class shares: each class its own
 * fixed colour (the bits of class + 1 spread over R, G and B from the high bit down, so neighbouring
 * ids get distant colours), and the fraction of pixels each class covers; and label maps scaled
 * nearest-neighbour (the translator's mask, the training crops' random scale).
 */
public final class SegmentationMasks {

    /** One class of a mask: its id, name and share of the pixels. */
    public record Share(int classId, String name, double fraction) {}

    private SegmentationMasks() {}

    /** The RGB colour of class {@code classId} (0-based). */
    public static int color(int classId) {
        int bits = classId + 1;
        int r = 0;
        int g = 0;
        int b = 0;
        for (int level = 7; level >= 0 && bits > 0; level--) {
            r |= (bits & 1) << level;
            g |= ((bits >> 1) & 1) << level;
            b |= ((bits >> 2) & 1) << level;
            bits >>= 3;
        }
        return (r << 16) | (g << 8) | b;
    }

    /** The mask as an RGB image of its size, one colour per class. */
    public static BufferedImage colored(CategoryMask mask) {
        int[][] labels = mask.getMask();
        int h = labels.length;
        int w = h == 0 ? 0 : labels[0].length;
        BufferedImage image = new BufferedImage(Math.max(w, 1), Math.max(h, 1), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                image.setRGB(x, y, color(labels[y][x]));
            }
        }
        return image;
    }

    /** The classes present, largest share first. */
    public static List<Share> shares(CategoryMask mask) {
        int[][] labels = mask.getMask();
        long[] counts = new long[mask.getClasses().size()];
        long total = 0;
        for (int[] row : labels) {
            for (int label : row) {
                counts[label]++;
                total++;
            }
        }
        List<Share> out = new ArrayList<>();
        for (int c = 0; c < counts.length; c++) {
            if (counts[c] > 0) {
                out.add(new Share(c, mask.getClasses().get(c), (double) counts[c] / total));
            }
        }
        out.sort(Comparator.comparingDouble(Share::fraction).reversed().thenComparingInt(Share::classId));
        return out;
    }

    /** A row-major h×w label map as outH×outW rows, nearest neighbour (pixel centres). */
    public static int[][] scaleNearest(int[] labels, int h, int w, int outH, int outW) {
        int[][] out = new int[outH][outW];
        for (int y = 0; y < outH; y++) {
            int sy = Math.min(h - 1, (int) ((y + 0.5) * h / outH));
            for (int x = 0; x < outW; x++) {
                out[y][x] = labels[sy * w + Math.min(w - 1, (int) ((x + 0.5) * w / outW))];
            }
        }
        return out;
    }
}
