package io.convzoo.zoo.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.evaluator.Evaluator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Segmentation metrics as iduta/pyconvsegnet computes them ({@code util.intersectionAndUnion},
 * {@code tool/train.py}), from a pixel confusion matrix {@code confusion[label][predicted]} of
 * the pixels whose label is not ignored: per class, intersection = the diagonal, target = the row
 * sum, union = row sum + column sum − diagonal. mIoU is the mean over all classes of intersection /
 * union (a class with an empty union counts 0, as the official {@code I / (U + 1e-10)} does);
 * pixel accuracy ({@code allAcc}) is Σ intersection / Σ target.
 */
public final class SegmentationMetrics {

    private SegmentationMetrics() {}

    /**
     * Adds the pixels of a batch to {@code confusion}: the arg-max class of {@code logits} (N, C, H, W)
     * against {@code labels} (N, H, W); pixels labelled {@code ignoreLabel} are left out. Returns
     * the matrix, new (C × C) when {@code confusion} is null.
     */
    public static long[][] accumulate(long[][] confusion, NDArray logits, NDArray labels, int ignoreLabel) {
        if (logits.getShape().dimension() != 4 || labels.getShape().dimension() != 3
                || labels.getShape().get(0) != logits.getShape().get(0)
                || labels.getShape().get(1) != logits.getShape().get(2)
                || labels.getShape().get(2) != logits.getShape().get(3)) {
            throw new IllegalArgumentException("segmentation metrics: expected logits (N, C, H, W) and labels (N, H, W), "
                    + "got " + logits.getShape() + " and " + labels.getShape());
        }
        int classes = Math.toIntExact(logits.getShape().get(1));
        long[][] out = confusion != null ? confusion : new long[classes][classes];
        if (out.length != classes) {
            throw new IllegalArgumentException("segmentation metrics: the model outputs " + classes
                    + " class maps but " + out.length + " classes are counted");
        }
        int[] predicted = logits.argMax(1).toType(DataType.INT32, false).toIntArray();
        int[] truth = labels.toType(DataType.INT32, false).toIntArray();
        for (int i = 0; i < truth.length; i++) {
            int t = truth[i];
            if (t == ignoreLabel) {
                continue;
            }
            if (t < 0 || t >= classes) {
                throw new IllegalArgumentException("segmentation label " + t + " outside 0.." + (classes - 1)
                        + " (and not the ignore label " + ignoreLabel + ")");
            }
            out[t][predicted[i]]++;
        }
        return out;
    }

    /** Per class: pixels predicted as the class among those labelled with it (the official area_intersection). */
    public static long[] intersection(long[][] confusion) {
        long[] out = new long[confusion.length];
        for (int c = 0; c < confusion.length; c++) {
            out[c] = confusion[c][c];
        }
        return out;
    }

    /** Per class: pixels labelled with it or predicted as it (the official area_union). */
    public static long[] union(long[][] confusion) {
        int n = confusion.length;
        long[] out = new long[n];
        for (int t = 0; t < n; t++) {
            for (int p = 0; p < n; p++) {
                if (t != p) {
                    out[t] += confusion[t][p];
                    out[p] += confusion[t][p];
                }
            }
            out[t] += confusion[t][t];
        }
        return out;
    }

    /** Mean over all classes of intersection / union; an empty union counts 0 (official). */
    public static double meanIoU(long[][] confusion) {
        if (confusion.length == 0) {
            return 0;
        }
        long[] inter = intersection(confusion);
        long[] union = union(confusion);
        double sum = 0;
        for (int c = 0; c < inter.length; c++) {
            sum += union[c] == 0 ? 0 : (double) inter[c] / union[c];
        }
        return sum / inter.length;
    }

    /** Correct pixels / labelled pixels (the official allAcc); 0 when no pixel is labelled. */
    public static double pixelAccuracy(long[][] confusion) {
        long correct = 0;
        long total = 0;
        for (int t = 0; t < confusion.length; t++) {
            correct += confusion[t][t];
            for (long v : confusion[t]) {
                total += v;
            }
        }
        return total == 0 ? 0 : (double) correct / total;
    }

    /** Which value an {@link Metric} evaluator reports. */
    public enum Kind {
        PIXEL_ACCURACY("PixelAccuracy"),
        MEAN_IOU("mIoU");

        /** The evaluator's name, as DJL's training result keys it. */
        public final String evaluatorName;

        Kind(String evaluatorName) {
            this.evaluatorName = evaluatorName;
        }

        double of(long[][] confusion) {
            return this == PIXEL_ACCURACY ? pixelAccuracy(confusion) : meanIoU(confusion);
        }
    }

    /**
     * A DJL evaluator over the pixels of an epoch: the confusion matrix is accumulated over the
     * batches and the metric taken at the end (mIoU is not a mean of per-batch values). Predictions:
     * the main logits first (a training forward's auxiliary logits are not scored).
     */
    public static final class Metric extends Evaluator {
        private final Kind kind;
        private final int ignoreLabel;
        private final Map<String, long[][]> confusions = new ConcurrentHashMap<>();

        public Metric(Kind kind, int ignoreLabel) {
            super(kind.evaluatorName);
            this.kind = kind;
            this.ignoreLabel = ignoreLabel;
        }

        @Override
        public NDArray evaluate(NDList labels, NDList predictions) {
            double value = kind.of(accumulate(null, predictions.head(), labels.head(), ignoreLabel));
            return labels.head().getManager().create((float) value);
        }

        @Override
        public void addAccumulator(String key) {
            confusions.remove(key);
        }

        @Override
        public void updateAccumulator(String key, NDList labels, NDList predictions) {
            confusions.compute(key, (k, m) -> accumulate(m, predictions.head(), labels.head(), ignoreLabel));
        }

        @Override
        public void resetAccumulator(String key) {
            confusions.remove(key);
        }

        @Override
        public float getAccumulator(String key) {
            long[][] m = confusions.get(key);
            return m == null ? Float.NaN : (float) kind.of(m);
        }
    }
}
