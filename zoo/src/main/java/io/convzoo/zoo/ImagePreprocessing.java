package io.convzoo.zoo;

import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.modality.cv.transform.CenterCrop;
import ai.djl.modality.cv.transform.ResizeShort;
import ai.djl.modality.cv.transform.ToTensor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.awt.image.BufferedImage;

/**
 * The one image preprocessing of a model's dataset ({@link Datasets}), used by the zoo's
 * {@code Image -> Classifications} translator, the CLI and the serving API alike: ImageNet resizes the
 * shorter side to 256, center-crops 224 and normalizes with its mean/std; Fashion-MNIST converts to
 * grayscale and resizes to 28×28. Fixed-size resizes run in plain Java (DJL's {@code Resize} arithmetic
 * on the PyTorch engine, checked against it); the ImageNet path uses DJL's transforms with native memory
 * scoped to one call. Returns one C×H×W input as floats.
 */
public final class ImagePreprocessing {

    private final Datasets data;

    public ImagePreprocessing(Datasets data) {
        this.data = data;
    }

    /** The dataset whose preprocessing this is. */
    public Datasets data() {
        return data;
    }

    /** One model input (C×H×W floats) from a decoded image. */
    public float[] toInput(BufferedImage image) {
        if (data.resize() == 0) {
            return normalize(resizeBilinear(pixels(image, data.channels()), image.getHeight(), image.getWidth(),
                    data.channels(), data.cropSize(), data.cropSize()));
        }
        return viaDjl(image);
    }

    /** {@link #toInput} of a DJL image (its wrapped AWT image). */
    public float[] toInput(Image image) {
        if (!(image.getWrappedImage() instanceof BufferedImage buffered)) {
            throw new IllegalArgumentException("expected an image of DJL's BufferedImageFactory, got a "
                    + image.getWrappedImage().getClass().getName());
        }
        return toInput(buffered);
    }

    /** The preprocessing with DJL's transforms throughout (ImageNet's path; the reference of the Java one). */
    public float[] viaDjl(BufferedImage decoded) {
        Image image = ImageFactory.getInstance().fromImage(decoded);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = image.toNDArray(manager, data.channels() == 1 ? Image.Flag.GRAYSCALE : Image.Flag.COLOR);
            if (data.resize() > 0) {
                x = new ResizeShort(data.resize()).transform(x);
                x = new CenterCrop(data.cropSize(), data.cropSize()).transform(x);
            } else {
                x = new ai.djl.modality.cv.transform.Resize(data.cropSize(), data.cropSize()).transform(x);
            }
            x = new ToTensor().transform(x);
            return normalize(x.toFloatArray());
        }
    }

    /**
     * Per-channel (v - mean) / std of CHW values in [0, 1]. Done here, not with DJL's Normalize: in DJL
     * 0.35.1 it builds a 3-value mean whatever the channel count and fails on 1-channel input.
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
    public static int[] pixels(BufferedImage image, int channels) {
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
    public static float[] resizeBilinear(int[] hwc, int inH, int inW, int channels, int outH, int outW) {
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
}
