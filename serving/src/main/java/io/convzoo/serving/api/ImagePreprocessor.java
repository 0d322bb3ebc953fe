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
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Turns encoded image bytes (PNG, JPEG, GIF, BMP) into one model input (C×H×W floats) with the
 * preprocessing of the model's dataset, the same as the zoo's Image translator: ImageNet resize 256,
 * center crop 224, mean/std; Fashion-MNIST grayscale resized to 28×28. Fixed-size resizes run in
 * plain Java (the same arithmetic, checked against DJL); the ImageNet path uses DJL's transforms
 * with native memory scoped to one call. Anything that is not a decodable image, or one too large to decode safely, is a
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
        if (data.resize() == 0) {
            return normalize(resizeBilinear(pixels(decoded, data.channels()), decoded.getHeight(), decoded.getWidth(),
                    data.channels(), data.cropSize(), data.cropSize()));
        }
        return viaDjl(decoded);
    }

    /** The DJL transforms, as the zoo's Image translator applies them (ImageNet: resize shorter side, crop). */
    float[] viaDjl(BufferedImage decoded) {
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
            return normalize(x.toFloatArray());
        }
    }

    /**
     * Per-channel (v - mean) / std of CHW values in [0, 1]. Done here, not with DJL's Normalize: in
     * DJL 0.35.1 it builds a 3-value mean whatever the channel count and fails on 1-channel input.
     */
    private float[] normalize(float[] v) {
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

    /**
     * HWC unsigned pixel values exactly as DJL's {@code BufferedImageWrapper.toNDArray} makes them
     * (8-bit gray taken as is; otherwise ARGB, with gray = round(0.299 R + 0.587 G + 0.114 B)).
     */
    static int[] pixels(BufferedImage image, int channels) {
        int w = image.getWidth();
        int h = image.getHeight();
        int[] out = new int[w * h * channels];
        if (image.getType() == BufferedImage.TYPE_BYTE_GRAY) {
            int[] gray = image.getData().getPixels(0, 0, w, h, (int[]) null);
            for (int i = 0; i < gray.length; i++) {
                for (int c = 0; c < channels; c++) {
                    out[i * channels + c] = gray[i] & 0xFF;
                }
            }
            return out;
        }
        int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
        for (int i = 0; i < argb.length; i++) {
            int r = (argb[i] >> 16) & 0xFF;
            int g = (argb[i] >> 8) & 0xFF;
            int b = argb[i] & 0xFF;
            if (channels == 1) {
                out[i] = Math.round(0.299f * r + 0.587f * g + 0.114f * b) & 0xFF;
            } else {
                out[i * 3] = r;
                out[i * 3 + 1] = g;
                out[i * 3 + 2] = b;
            }
        }
        return out;
    }

    /**
     * DJL's {@code Resize} on the PyTorch engine without native calls: PyTorch's bilinear
     * {@code interpolate} as DJL calls it (antialiased, align_corners=false; separable, width then
     * height) in float, truncated back to 8 bits as DJL's cast does, then {@code ToTensor} (CHW,
     * divided by 255). For small images the native round trips cost far more than this arithmetic;
     * {@code ImagePreprocessorTest} checks that both agree.
     */
    static float[] resizeBilinear(int[] hwc, int inH, int inW, int channels, int outH, int outW) {
        Taps tx = Taps.of(inW, outW);
        Taps ty = Taps.of(inH, outH);
        float[] rows = new float[inH * outW * channels]; // width pass
        for (int y = 0; y < inH; y++) {
            for (int x = 0; x < outW; x++) {
                for (int c = 0; c < channels; c++) {
                    float acc = 0;
                    for (int k = 0; k < tx.size[x]; k++) {
                        acc += tx.weights[x][k] * hwc[(y * inW + tx.min[x] + k) * channels + c];
                    }
                    rows[(y * outW + x) * channels + c] = acc;
                }
            }
        }
        float[] chw = new float[channels * outH * outW]; // height pass, cast, ToTensor
        for (int y = 0; y < outH; y++) {
            for (int x = 0; x < outW; x++) {
                for (int c = 0; c < channels; c++) {
                    float acc = 0;
                    for (int k = 0; k < ty.size[y]; k++) {
                        acc += ty.weights[y][k] * rows[((ty.min[y] + k) * outW + x) * channels + c];
                    }
                    int truncated = Math.min(255, Math.max(0, (int) acc));
                    chw[(c * outH + y) * outW + x] = truncated / 255f;
                }
            }
        }
        return chw;
    }

    /** Source taps and normalized triangle-filter weights of each output index along one axis. */
    private record Taps(int[] min, int[] size, float[][] weights) {
        static Taps of(int in, int out) {
            float scale = (float) in / out;
            float support = scale >= 1f ? scale : 1f;
            float invScale = scale >= 1f ? 1f / scale : 1f;
            int[] min = new int[out];
            int[] size = new int[out];
            float[][] weights = new float[out][];
            for (int i = 0; i < out; i++) {
                float center = scale * (i + 0.5f);
                min[i] = Math.max((int) (center - support + 0.5f), 0);
                size[i] = Math.min((int) (center + support + 0.5f), in) - min[i];
                weights[i] = new float[size[i]];
                float total = 0;
                for (int j = 0; j < size[i]; j++) {
                    float t = Math.abs((j + min[i] - center + 0.5f) * invScale);
                    float w = t < 1f ? 1f - t : 0f;
                    weights[i][j] = w;
                    total += w;
                }
                for (int j = 0; j < size[i] && total != 0; j++) {
                    weights[i][j] /= total;
                }
            }
            return new Taps(min, size, weights);
        }
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
