package io.convzoo.zoo.arch;

import io.convzoo.blocks.layers.Identity;

/**
 * A {@link CheckedNetwork} that ends in a child named {@code classifier} (HetConv's VGG, timm's EfficientNet): dropping
 * it leaves the pooled features. It has no stages, so it never returns feature maps.
 */
public abstract class SequentialClassifier extends CheckedNetwork implements ClassifierNetwork {

    protected SequentialClassifier(String name, int inputChannels) {
        super(name, inputChannels);
    }

    /** Drops the classifier: the forward then returns the pooled features. */
    @Override
    public void removeClassifier() {
        replaceChild("classifier", new Identity());
    }

    /** No stages: never feature maps. */
    @Override
    public boolean isFeaturesOnly() {
        return false;
    }
}
