package io.convzoo.zoo.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/**
 * mIoU and pixel accuracy against a hand-computed example, as iduta/pyconvsegnet's
 * intersectionAndUnion and train.py define them (ignored pixels out of both the target and the
 * output, an absent class counting IoU 0), and the epoch evaluator accumulating pixels over batches.
 */
class SegmentationMetricsTest {

    private static final int IGNORE = SegmentationLoss.IGNORE_LABEL;

    /** Labels and predictions of one 2×4 image (the pixel at (1, 1) is ignored, predicted 0). */
    private static final int[] LABELS = {0, 0, 1, 1, 2, IGNORE, 2, 1};
    private static final int[] PREDICTED = {0, 1, 1, 1, 2, 0, 0, 1};

    /** (1, classes, H, W) logits whose arg-max is {@code predicted}. */
    private static NDArray oneHotLogits(NDManager m, int[] predicted, int classes, int h, int w) {
        float[] logits = new float[classes * h * w];
        for (int i = 0; i < predicted.length; i++) {
            logits[predicted[i] * h * w + i] = 3f;
        }
        return m.create(logits, new Shape(1, classes, h, w));
    }

    @Test
    void handComputedExample() {
        try (NDManager m = NDManager.newBaseManager()) {
            long[][] c = SegmentationMetrics.accumulate(null, oneHotLogits(m, PREDICTED, 3, 2, 4),
                    m.create(LABELS, new Shape(1, 2, 4)), IGNORE);
            // rows: label 0 -> predicted {0, 1}; label 1 -> 1, 1, 1; label 2 -> {2, 0}
            assertArrayEquals(new long[][] {{1, 1, 0}, {0, 3, 0}, {1, 0, 1}}, c);
            assertArrayEquals(new long[] {1, 3, 1}, SegmentationMetrics.intersection(c));
            // union = output (2, 4, 1; the ignored pixel's 0 not counted) + target (2, 3, 2) - intersection
            assertArrayEquals(new long[] {3, 4, 2}, SegmentationMetrics.union(c));
            assertEquals((1.0 / 3 + 3.0 / 4 + 1.0 / 2) / 3, SegmentationMetrics.meanIoU(c), 1e-12);
            assertEquals(5.0 / 7, SegmentationMetrics.pixelAccuracy(c), 1e-12);

            // a fourth class nobody labels or predicts counts IoU 0 in the mean (official I / (U + 1e-10))
            long[][] four = SegmentationMetrics.accumulate(null, oneHotLogits(m, PREDICTED, 4, 2, 4),
                    m.create(LABELS, new Shape(1, 2, 4)), IGNORE);
            assertEquals((1.0 / 3 + 3.0 / 4 + 1.0 / 2) / 4, SegmentationMetrics.meanIoU(four), 1e-12);
            assertEquals(5.0 / 7, SegmentationMetrics.pixelAccuracy(four), 1e-12);
        }
    }

    @Test
    void theEpochEvaluatorAccumulatesPixelsNotBatchMeans() {
        try (NDManager m = NDManager.newBaseManager()) {
            // the example split into its two rows, as two batches of one 1×4 image
            NDList labels1 = new NDList(m.create(new int[] {0, 0, 1, 1}, new Shape(1, 1, 4)));
            NDList preds1 = new NDList(oneHotLogits(m, new int[] {0, 1, 1, 1}, 3, 1, 4));
            NDList labels2 = new NDList(m.create(new int[] {2, IGNORE, 2, 1}, new Shape(1, 1, 4)));
            NDList preds2 = new NDList(oneHotLogits(m, new int[] {2, 0, 0, 1}, 3, 1, 4));
            SegmentationMetrics.Metric miou = new SegmentationMetrics.Metric(SegmentationMetrics.Kind.MEAN_IOU, IGNORE);
            SegmentationMetrics.Metric acc = new SegmentationMetrics.Metric(SegmentationMetrics.Kind.PIXEL_ACCURACY,
                    IGNORE);
            assertEquals("mIoU", miou.getName());
            for (SegmentationMetrics.Metric metric : new SegmentationMetrics.Metric[] {miou, acc}) {
                metric.addAccumulator("validate");
                metric.updateAccumulator("validate", labels1, preds1);
                metric.updateAccumulator("validate", labels2, preds2);
            }
            assertEquals((1.0 / 3 + 3.0 / 4 + 1.0 / 2) / 3, miou.getAccumulator("validate"), 1e-6);
            assertEquals(5.0 / 7, acc.getAccumulator("validate"), 1e-6);
            // batch 1 alone: label 0 IoU 1/2, label 1 IoU 2/3, label 2 absent (0)
            assertEquals((0.5 + 2.0 / 3) / 3, miou.evaluate(labels1, preds1).getFloat(), 1e-6);
            miou.resetAccumulator("validate");
            assertTrue(Float.isNaN(miou.getAccumulator("validate")), "nothing accumulated after a reset");
        }
    }

    @Test
    void aLabelOutsideTheClassesIsNamed() {
        try (NDManager m = NDManager.newBaseManager()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
                    SegmentationMetrics.accumulate(null, oneHotLogits(m, PREDICTED, 3, 2, 4),
                            m.create(new int[] {0, 0, 1, 1, 2, 7, 2, 1}, new Shape(1, 2, 4)), IGNORE));
            assertTrue(e.getMessage().contains("label 7 outside 0..2"), e.getMessage());
            IllegalArgumentException shape = assertThrows(IllegalArgumentException.class, () ->
                    SegmentationMetrics.accumulate(null, oneHotLogits(m, PREDICTED, 3, 2, 4),
                            m.create(LABELS, new Shape(1, 4, 2)), IGNORE));
            assertTrue(shape.getMessage().contains("(N, C, H, W)"), shape.getMessage());
        }
    }
}
