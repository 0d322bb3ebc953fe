package io.convzoo.serving.api;

import io.convzoo.zoo.Datasets;
import io.convzoo.zoo.ImagePreprocessing;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Turns encoded image bytes (PNG, JPEG, GIF, BMP) into one model input (C×H×W floats) with the
 * preprocessing of the model's dataset, the zoo's one pipeline ({@link ImagePreprocessing}, which the
 * zoo's Image translator runs too). Anything that is not a decodable image, or one too large to
 * decode safely, is a {@link BadInputException}.
 */
public final class ImagePreprocessor {

    /** Refuse images with more pixels than this before decoding them (decompression bombs). */
    public static final long MAX_PIXELS = 40_000_000L;

    private final ImagePreprocessing preprocessing;

    public ImagePreprocessor(Datasets data) {
        this.preprocessing = new ImagePreprocessing(data);
    }

    public float[] toInput(byte[] encoded) {
        if (encoded.length == 0) {
            throw new BadInputException("empty body: send an image (PNG, JPEG, GIF or BMP)");
        }
        return preprocessing.toInput(decode(encoded));
    }

    private static BufferedImage decode(byte[] encoded) {
        // In memory: ImageIO.createImageInputStream would cache the stream in a temporary file.
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(encoded))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new BadInputException("the body is not an image this server can read (PNG, JPEG, GIF, BMP); "
                        + encoded.length + " bytes starting " + hexStart(encoded));
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
                if (pixels > MAX_PIXELS || pixels <= 0) {
                    throw new BadInputException("image of " + reader.getWidth(0) + "x" + reader.getHeight(0)
                            + " pixels is too large (at most " + MAX_PIXELS + " pixels)");
                }
                BufferedImage image = reader.read(0);
                if (image == null) {
                    throw new BadInputException("the image could not be decoded");
                }
                return image;
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof BadInputException bad) {
                throw bad;
            }
            // Truncated or corrupt files make ImageIO throw IOException or, for some codecs, runtime errors.
            throw new BadInputException("the image could not be decoded: " + e.getMessage(), e);
        }
    }

    private static String hexStart(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(8, bytes.length); i++) {
            sb.append(String.format("%02x", bytes[i] & 0xff));
        }
        return sb.toString();
    }
}
