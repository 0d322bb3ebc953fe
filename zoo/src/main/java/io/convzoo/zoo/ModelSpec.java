package io.convzoo.zoo;

import ai.djl.nn.Block;
import java.util.Map;
import java.util.function.Function;

/**
 * One registered model variant: its id (the official PyTorch function name), its family, the
 * properties users filter on in {@code Criteria.optFilter} and the builder of its block.
 *
 * @param id official function name, e.g. {@code res2net50_26w_4s}
 * @param family family name: {@code pyconv}, {@code res2net}, {@code octconv}, {@code dyconv}
 * @param properties string properties for {@code optFilter}: family, depth, width, scales, alpha, dataset
 * @param defaults default arguments (ImageNet: 1000 classes, 3 channels)
 * @param inputSize default square input size (224 for ImageNet variants, 28/32 for small ones)
 * @param builder builds an uninitialized block from arguments
 */
public record ModelSpec(String id, String family, Map<String, String> properties, ModelArgs defaults,
                        int inputSize, Function<ModelArgs, Block> builder) {

    /** Builds the block with the default arguments. */
    public Block build() {
        return builder.apply(defaults);
    }

    /** Builds the block with {@code args}. */
    public Block build(ModelArgs args) {
        return builder.apply(args);
    }
}
