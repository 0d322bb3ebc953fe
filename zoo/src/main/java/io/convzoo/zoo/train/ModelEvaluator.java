package io.convzoo.zoo.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Top-1 accuracy and the confusion matrix of a classifier on a labelled dataset (inference mode);
 * for a segmentation model ((N, C, H, W) logits, (N, H, W) label maps) the same over the labelled
 * pixels (label {@link SegmentationLoss#IGNORE_LABEL} left out), with the mIoU of
 * {@link SegmentationMetrics}.
 */
public final class ModelEvaluator {

    private ModelEvaluator() {}

    /**
     * The result of an evaluation.
     *
     * @param accuracy correct / total (a fraction; for segmentation the pixel accuracy)
     * @param correct correctly classified samples (pixels)
     * @param total samples (labelled pixels)
     * @param confusion counts, {@code confusion[true][predicted]}
     * @param classNames names of the classes (rows and columns)
     */
    public record Evaluation(double accuracy, long correct, long total, long[][] confusion, List<String> classNames) {

        /** Mean intersection over union of the classes ({@link SegmentationMetrics#meanIoU}). */
        public double meanIoU() {
            return SegmentationMetrics.meanIoU(confusion);
        }

        /** JSON-ready map: accuracy, correct, total, classNames, confusion. */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("accuracy", accuracy);
            m.put("correct", correct);
            m.put("total", total);
            m.put("classNames", classNames);
            m.put("confusion", confusion);
            return m;
        }
    }

    /**
     * Runs {@code model} (initialized, inference mode) over {@code data} in batches of
     * {@code batchSize}; the labels are the class indices 0..numClasses-1.
     */
    public static Evaluation evaluate(Block model, RandomAccessDataset data, int batchSize, List<String> classNames,
                                      NDManager manager) throws IOException, TranslateException {
        int n = classNames.size();
        long[][] confusion = new long[n][n];
        try (NDManager scope = manager.newSubManager()) {
            ParameterStore ps = new ParameterStore(scope, false);
            for (Batch batch : data.getData(scope, new SeededBatchSampler(batchSize, false, false, 0))) {
                try (batch) {
                    NDList out = model.forward(ps, batch.getData(), false);
                    NDArray logits = out.head();
                    if (logits.getShape().dimension() == 4) {
                        SegmentationMetrics.accumulate(confusion, logits, batch.getLabels().head(),
                                SegmentationLoss.IGNORE_LABEL);
                        continue;
                    }
                    if (logits.getShape().dimension() != 2 || logits.getShape().get(1) != n) {
                        throw new IllegalArgumentException("model outputs " + logits.getShape() + " but the dataset has "
                                + n + " classes: expected (N, " + n + ")");
                    }
                    long[] predicted = logits.argMax(1).toType(DataType.INT64, false).toLongArray();
                    long[] truth = batch.getLabels().head().toType(DataType.INT64, false).toLongArray();
                    for (int i = 0; i < truth.length; i++) {
                        int t = (int) truth[i];
                        int p = (int) predicted[i];
                        if (t < 0 || t >= n) {
                            throw new IllegalArgumentException("label " + t + " outside 0.." + (n - 1));
                        }
                        confusion[t][p]++;
                    }
                }
            }
        }
        long correct = 0;
        long total = 0;
        for (int t = 0; t < n; t++) {
            correct += confusion[t][t];
            for (long v : confusion[t]) {
                total += v;
            }
        }
        return new Evaluation(total == 0 ? 0 : (double) correct / total, correct, total, confusion,
                new ArrayList<>(classNames));
    }
}
