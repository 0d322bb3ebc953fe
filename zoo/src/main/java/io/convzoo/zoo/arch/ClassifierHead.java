package io.convzoo.zoo.arch;

/**
 * A classification network whose head can be dropped (timm's {@code reset_classifier(0)}), after
 * which its forward returns the pooled pre-logit features (N, C): what {@code numClasses = 0} builds
 * and what the zoo's {@code Image -> float[]} embeddings use.
 */
public interface ClassifierHead {

    /** Replaces the classifier by the identity. */
    void removeClassifier();
}
