package io.convzoo.zoo;

import ai.djl.nn.Block;
import java.util.Map;
import java.util.function.Function;

/**
 * One registered model variant: its id (the official PyTorch function name), its family, the
 * properties users filter on in {@code Criteria.optFilter}, the dataset its weights are for (which
 * fixes the preprocessing, input size and class names every consumer uses: the zoo's translator, the
 * CLI and serving) and the builder of its block.
 *
 * @param id official function name, e.g. {@code res2net50_26w_4s}
 * @param family family name: {@code pyconv}, {@code res2net}, {@code octconv}, {@code dyconv}, {@code resnet}
 * @param properties string properties for {@code optFilter}: family, depth, width, scales, alpha, dataset
 * @param defaults default arguments (ImageNet: 1000 classes, 3 channels)
 * @param data the weights' dataset: preprocessing, input size, class names
 * @param builder builds an uninitialized block from arguments
 */
public record ModelSpec(String id, String family, Map<String, String> properties, ModelArgs defaults, Datasets data,
                        Function<ModelArgs, Block> builder) {

    public ModelSpec {
        if (!data.name().equals(properties.get("dataset"))) {
            throw new IllegalArgumentException(id + ": property dataset=" + properties.get("dataset")
                    + " but the weights are for " + data.name());
        }
        if (defaults.inputChannels() != data.channels()) {
            throw new IllegalArgumentException(id + ": " + defaults.inputChannels() + " input channels by default but "
                    + data.name() + " images have " + data.channels());
        }
    }

    /** Default square input size: the dataset's crop (224 for ImageNet, 28 for Fashion-MNIST). */
    public int inputSize() {
        return data.cropSize();
    }

    /** Builds the block with the default arguments. */
    public Block build() {
        return builder.apply(defaults);
    }

    /** Builds the block with {@code args}. */
    public Block build(ModelArgs args) {
        return builder.apply(args);
    }
}
