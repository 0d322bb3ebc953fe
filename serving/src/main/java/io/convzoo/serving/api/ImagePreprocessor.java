package io.convzoo.serving.api;

import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.modality.cv.transform.CenterCrop;
import ai.djl.modality.cv.transform.Resize;
import ai.djl.modality.cv.transform.ResizeShort;
import ai.djl.modality.cv.transform.ToTensor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.convzoo.zoo.Datasets;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Turns encoded image bytes (PNG, JPEG, GIF, BMP) into one model input (C×H×W floats) with the
 * preprocessing of the model's dataset, the same as the zoo's Image translator: ImageNet resize 256,
 * center crop 224, mean/std; Fashion-MNIST grayscale resized to 28×28. Native memory is scoped to
 * one call. Anything that is not a decodable image, or one too large to decode safely, is a
 * {@link BadInputException}.
 */
public final class ImagePreprocessor {

    /** Refuse images with more pixels than this before decoding them (decompression bombs). */
    public static final long MAX_PIXELS = 40_000_000L;

    private final Datasets data;

    public ImagePreprocessor(Datasets data) {
        this.data = data;
    }

    public float[] toInput(byte[] encoded) {
        if (encoded.length == 0) {
            throw new BadInputException("empty body: send an image (PNG, JPEG, GIF or BMP)");
        }
        BufferedImage decoded = decode(encoded);
        Image image = ImageFactory.getInstance().fromImage(decoded);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = image.toNDArray(manager, data.channels() == 1 ? Image.Flag.GRAYSCALE : Image.Flag.COLOR);
            if (data.resize() > 0) {
                x = new ResizeShort(data.resize()).transform(x);
                x = new CenterCrop(data.cropSize(), data.cropSize()).transform(x);
            } else {
                x = new Resize(data.cropSize(), data.cropSize()).transform(x);
            }
            x = new ToTensor().transform(x);
            // Normalized here, not with DJL's Normalize: in DJL 0.35.1 it builds a 3-value mean
            // whatever the channel count, and fails on 1-channel (Fashion-MNIST) input.
            float[] v = x.toFloatArray();
            int plane = v.length / data.channels();
            for (int c = 0; c < data.channels(); c++) {
                float mean = data.mean()[c];
                float std = data.std()[c];
                for (int i = c * plane; i < (c + 1) * plane; i++) {
                    v[i] = (v[i] - mean) / std;
                }
            }
            return v;
        }
    }

    private static BufferedImage decode(byte[] encoded) {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(encoded))) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
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
