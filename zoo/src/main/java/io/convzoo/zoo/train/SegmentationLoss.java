package io.convzoo.zoo.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.loss.Loss;

/**
 * The training loss of a segmentation network with an auxiliary head (iduta/pyconvsegnet
 * {@code tool/train.py}): {@code main + auxWeight × aux}, each PyTorch's
 * {@code CrossEntropyLoss(ignore_index=255)} over the pixels: the mean of −log softmax at the label
 * over the pixels whose label is not ignored. Predictions: the main logits (N, C, H, W) and, in
 * training, the auxiliary logits; labels: one (N, H, W) label map of any numeric type.
 */
public final class SegmentationLoss extends Loss {

    /** ADE20K's "unlabeled" label as iduta/pyconvsegnet maps it. */
    public static final int IGNORE_LABEL = 255;

    private final float auxWeight;
    private final int ignoreLabel;

    /** main + {@code auxWeight} × aux, pixels labelled {@code ignoreLabel} left out. */
    public SegmentationLoss(float auxWeight, int ignoreLabel) {
        super("SegmentationLoss");
        if (auxWeight < 0f) {
            throw new IllegalArgumentException("SegmentationLoss: auxWeight must be >= 0, got " + auxWeight);
        }
        this.auxWeight = auxWeight;
        this.ignoreLabel = ignoreLabel;
    }

    @Override
    public NDArray evaluate(NDList labels, NDList predictions) {
        NDArray target = labels.head();
        NDArray loss = crossEntropy(predictions.get(0), target, ignoreLabel);
        if (predictions.size() > 1 && auxWeight > 0f) {
            NDArray weight = loss.getManager().full(loss.getShape(), auxWeight, loss.getDataType());
            loss = loss.add(crossEntropy(predictions.get(1), target, ignoreLabel).mul(weight));
        }
        return loss;
    }

    /**
     * PyTorch's {@code cross_entropy(logits, labels, ignore_index)} with mean reduction: logits
     * (N, C, H, W), labels (N, H, W). A label outside 0..C−1 that is not ignored is an error.
     */
    public static NDArray crossEntropy(NDArray logits, NDArray labels, int ignoreLabel) {
        if (logits.getShape().dimension() != 4 || labels.getShape().dimension() != 3
                || labels.getShape().get(0) != logits.getShape().get(0)
                || labels.getShape().get(1) != logits.getShape().get(2)
                || labels.getShape().get(2) != logits.getShape().get(3)) {
            throw new IllegalArgumentException("SegmentationLoss: expected logits (N, C, H, W) and labels (N, H, W), got "
                    + logits.getShape() + " and " + labels.getShape());
        }
        long classes = logits.getShape().get(1);
        NDArray label = labels.toType(DataType.INT64, false);
        NDArray kept = label.neq(ignoreLabel);
        NDArray bad = kept.logicalAnd(label.lt(0).logicalOr(label.gte(classes)));
        if (bad.any().getBoolean()) {
            throw new IllegalArgumentException("SegmentationLoss: labels must lie in 0.." + (classes - 1) + " or be "
                    + ignoreLabel + " (ignored)");
        }
        NDArray index = label.mul(kept.toType(DataType.INT64, false)).expandDims(1);
        NDArray picked = logits.logSoftmax(1).gather(index, 1).squeeze(1);
        NDArray mask = kept.toType(logits.getDataType(), false);
        return picked.mul(mask).sum().neg().div(mask.sum());
    }
}
