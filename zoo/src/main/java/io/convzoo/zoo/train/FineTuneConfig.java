package io.convzoo.zoo.train;

import java.nio.file.Path;

/**
 * Settings of a fine-tuning run, with fluent setters. Defaults: 10 epochs, batch 64, SGD with
 * Nesterov momentum 0.9, learning rate 0.05, weight decay 5e-4, one warm-up epoch then cosine
 * decay to 0, whole model trained at the same rate, no early stopping, dynamic-conv temperature
 * 30 → 1 over the first 10 epochs (DyConv paper), seed 42, no progress bar; a classifier
 * (softmax cross-entropy, top-1 accuracy) unless {@link #segmentation} is set.
 */
public final class FineTuneConfig {

    int epochs = 10;
    int batchSize = 64;
    FineTuneOptimizer.Kind optimizer = FineTuneOptimizer.Kind.SGD;
    float learningRate = 0.05f;
    float momentum = 0.9f;
    boolean nesterov = true;
    float weightDecay = 5e-4f;
    double warmupEpochs = 1;
    float finalLearningRate = 0f;
    String headPath = "fc";
    boolean freezeBackbone;
    float backboneLrScale = 1f;
    int patience;
    float minDelta;
    float temperatureStart = 30f;
    float temperatureEnd = 1f;
    double temperatureEpochs = 10;
    long seed = 42;
    boolean progressBar;
    Path outputDir;
    Path resumeFrom;
    String modelName = "model";
    boolean segmentation;
    float auxWeight;

    public FineTuneConfig epochs(int v) {
        if (v < 1) {
            throw new IllegalArgumentException("epochs must be >= 1, got " + v);
        }
        epochs = v;
        return this;
    }

    public FineTuneConfig batchSize(int v) {
        if (v < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + v);
        }
        batchSize = v;
        return this;
    }

    /** SGD with momentum (and Nesterov when asked). */
    public FineTuneConfig sgd(float lr, float momentum, boolean nesterov) {
        optimizer = FineTuneOptimizer.Kind.SGD;
        learningRate = positive("learning rate", lr);
        this.momentum = momentum;
        this.nesterov = nesterov;
        return this;
    }

    /** AdamW (betas 0.9/0.999, eps 1e-8). */
    public FineTuneConfig adamW(float lr) {
        optimizer = FineTuneOptimizer.Kind.ADAMW;
        learningRate = positive("learning rate", lr);
        return this;
    }

    public FineTuneConfig weightDecay(float v) {
        if (v < 0) {
            throw new IllegalArgumentException("weight decay must be >= 0, got " + v);
        }
        weightDecay = v;
        return this;
    }

    /** Linear warm-up length in epochs (may be fractional; 0 = none), then cosine to {@code finalLr}. */
    public FineTuneConfig schedule(double warmupEpochs, float finalLr) {
        if (warmupEpochs < 0 || finalLr < 0) {
            throw new IllegalArgumentException("warm-up epochs and final learning rate must be >= 0");
        }
        this.warmupEpochs = warmupEpochs;
        this.finalLearningRate = finalLr;
        return this;
    }

    /** Path of the classifier child (default "fc"); everything else is the backbone. */
    public FineTuneConfig headPath(String v) {
        headPath = v;
        return this;
    }

    /** Train only the head (backbone parameters get no gradient and no update). */
    public FineTuneConfig freezeBackbone(boolean v) {
        freezeBackbone = v;
        return this;
    }

    /** Backbone learning rate = scale × head learning rate (e.g. 0.1); 1 = same rate. */
    public FineTuneConfig backboneLrScale(float v) {
        if (v < 0) {
            throw new IllegalArgumentException("backbone learning-rate scale must be >= 0, got " + v);
        }
        backboneLrScale = v;
        return this;
    }

    /** Stop after {@code patience} epochs without a validation-accuracy gain above {@code minDelta}; 0 = off. */
    public FineTuneConfig earlyStopping(int patience, float minDelta) {
        if (patience < 0) {
            throw new IllegalArgumentException("patience must be >= 0, got " + patience);
        }
        this.patience = patience;
        this.minDelta = minDelta;
        return this;
    }

    /** Dynamic-conv temperature: linear from {@code start} to {@code end} over {@code epochs} (0 = always end). */
    public FineTuneConfig temperature(float start, float end, double epochs) {
        if (start <= 0 || end <= 0) {
            throw new IllegalArgumentException("temperatures must be positive");
        }
        temperatureStart = start;
        temperatureEnd = end;
        temperatureEpochs = epochs;
        return this;
    }

    public FineTuneConfig seed(long v) {
        seed = v;
        return this;
    }

    /** Show DJL's progress bar and per-epoch log (TrainingListener.Defaults.logging()). */
    public FineTuneConfig progressBar(boolean v) {
        progressBar = v;
        return this;
    }

    /** Where history.json, the PNG charts, checkpoints and the final parameters go (null: nowhere). */
    public FineTuneConfig outputDir(Path v) {
        outputDir = v;
        return this;
    }

    /** Resume from a checkpoint directory (or from an output directory: its latest checkpoint). */
    public FineTuneConfig resumeFrom(Path v) {
        resumeFrom = v;
        return this;
    }

    /** Name of saved parameter files (default "model"). */
    public FineTuneConfig modelName(String v) {
        modelName = v;
        return this;
    }

    /**
     * A segmentation model instead of a classifier: {@link SegmentationLoss} (main + {@code auxWeight}
     * × aux cross-entropy, label 255 ignored), pixel accuracy and mIoU ({@link SegmentationMetrics})
     * each epoch, the best epoch by validation mIoU (as the official {@code best_mIoU}), head "cls".
     */
    public FineTuneConfig segmentation(float auxWeight) {
        if (!(auxWeight >= 0)) {
            throw new IllegalArgumentException("aux weight must be >= 0, got " + auxWeight);
        }
        segmentation = true;
        this.auxWeight = auxWeight;
        headPath = "cls";
        return this;
    }

    /** Whether the run trains a segmentation model ({@link #segmentation}). */
    public boolean isSegmentation() {
        return segmentation;
    }

    public int epochs() {
        return epochs;
    }

    public int batchSize() {
        return batchSize;
    }

    private static float positive(String what, float v) {
        if (!(v > 0)) {
            throw new IllegalArgumentException(what + " must be > 0, got " + v);
        }
        return v;
    }
}
