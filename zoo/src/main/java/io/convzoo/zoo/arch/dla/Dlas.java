package io.convzoo.zoo.arch.dla;

import io.convzoo.zoo.Datasets;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.ModelFamily;
import io.convzoo.zoo.ModelSpec;
import io.convzoo.zoo.arch.dla.Dla.BlockType;
import io.convzoo.zoo.arch.dla.Dla.Config;
import java.util.List;
import java.util.Map;

/**
 * The Res2Net-DLA variant table: {@code res2net_dla60} and {@code res2next_dla60} of
 * Res2Net-PretrainedModels ({@code dla.py}). Properties: family (dla), depth, block, dataset.
 */
public final class Dlas implements ModelFamily {

    /** Every DLA variant, one line each. */
    public static final List<ModelSpec> VARIANTS = List.of(
            spec("res2net_dla60", "res2net", Config.dla60(BlockType.RES2NET)),
            spec("res2next_dla60", "res2next", Config.dla60(BlockType.RES2NEXT)));

    private static ModelSpec spec(String id, String block, Config config) {
        return new ModelSpec(id, "dla", Map.of("family", "dla", "depth", "60", "block", block,
                "dataset", Datasets.IMAGENET_SPEC.name()), ModelArgs.imagenet(), Datasets.IMAGENET_SPEC,
                args -> Dla.build(id, config, args));
    }

    /** The service instance {@link io.convzoo.zoo.ModelRegistry} loads. */
    public Dlas() {
    }

    @Override
    public List<ModelSpec> variants() {
        return VARIANTS;
    }
}
