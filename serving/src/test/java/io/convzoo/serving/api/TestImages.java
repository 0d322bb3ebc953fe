package io.convzoo.serving.api;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/** Small encoded test images, made here (no files shipped). */
public final class TestImages {

    private TestImages() {}

    /** A size×size PNG: a light square whose position and shade depend on {@code seed}. */
    public static byte[] png(int size, int seed) {
        return encode(draw(size, seed), "png");
    }

    public static byte[] jpeg(int size, int seed) {
        return encode(draw(size, seed), "jpg");
    }

    private static BufferedImage draw(int size, int seed) {
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.BLACK);
        g.fillRect(0, 0, size, size);
        g.setColor(new Color(80 + (seed * 37) % 170, 200, 120 + (seed * 13) % 130));
        int s = size / 3 + seed % Math.max(1, size / 4);
        g.fillRect((seed * 5) % (size - s + 1), (seed * 3) % (size - s + 1), s, s);
        g.dispose();
        return img;
    }

    private static byte[] encode(BufferedImage img, String format) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            if (!ImageIO.write(img, format, out)) {
                throw new IllegalStateException("no ImageIO writer for " + format);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
