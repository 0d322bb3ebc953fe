package io.convzoo.zoo.train;

/**
 * One epoch of a run, as written to history.json.
 *
 * @param epoch 1-based epoch
 * @param trainLoss mean training loss (on augmented batches)
 * @param trainAccuracy training accuracy over the epoch (segmentation: pixel accuracy)
 * @param valLoss validation loss
 * @param valAccuracy validation top-1 accuracy (fraction; segmentation: pixel accuracy)
 * @param trainMeanIoU segmentation: mIoU of the training batches' main output (NaN for a classifier)
 * @param valMeanIoU segmentation: validation mIoU (NaN for a classifier)
 * @param lr head learning rate at the last step of the epoch
 * @param temperature dynamic-conv temperature at the end of the epoch
 * @param step global optimizer step at the end of the epoch
 * @param seconds wall time of the epoch (training and validation)
 */
public record EpochStats(int epoch, double trainLoss, double trainAccuracy, double valLoss, double valAccuracy,
                         double trainMeanIoU, double valMeanIoU, double lr, double temperature, int step,
                         double seconds) {}
