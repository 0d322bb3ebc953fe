package io.convzoo.zoo.arch;

/**
 * A zoo network that ends in a classifier which can be dropped for embeddings (the DJL
 * {@code Image -> float[]} translator and {@code numClasses = 0} with pretrained weights), and that
 * may instead have been built to return feature maps ({@code featuresOnly}).
 */
public interface ClassifierNetwork {

    /** Drops the classifier: the forward then returns the pooled pre-logit features (N, C). */
    void removeClassifier();

    /** Whether the forward returns feature maps instead of logits. */
    boolean isFeaturesOnly();
}
