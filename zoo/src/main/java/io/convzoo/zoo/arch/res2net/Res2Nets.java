package io.convzoo.zoo.arch.res2net;

import io.convzoo.blocks.res2net.Res2NetBottleneck.Shortcut;
import io.convzoo.zoo.Datasets;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.ModelFamily;
import io.convzoo.zoo.ModelSpec;
import io.convzoo.zoo.arch.res2net.Res2Net.Config;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Res2Net family's variant table: the official Res2Net, Res2NeXt and Res2Net-v1b ImageNet
 * models under their official function names, and {@code res2net_small} for 28×28 Fashion-MNIST.
 * Properties for {@code Criteria.optFilter}: family, depth, width (base width), scales, version
 * (v1/v1b), dataset, and cardinality for Res2NeXt.
 */
public final class Res2Nets implements ModelFamily {

    private static final int[] DEPTH_50 = {3, 4, 6, 3};
    private static final int[] DEPTH_101 = {3, 4, 23, 3};
    private static final int[] DEPTH_152 = {3, 8, 36, 3};

    /** Every Res2Net variant, one line each. */
    public static final List<ModelSpec> VARIANTS = List.of(
            imagenet("res2net50_26w_4s", "50", Config.imagenet(DEPTH_50, 26, 4)),
            imagenet("res2net50_26w_6s", "50", Config.imagenet(DEPTH_50, 26, 6)),
            imagenet("res2net50_26w_8s", "50", Config.imagenet(DEPTH_50, 26, 8)),
            imagenet("res2net50_48w_2s", "50", Config.imagenet(DEPTH_50, 48, 2)),
            imagenet("res2net50_14w_8s", "50", Config.imagenet(DEPTH_50, 14, 8)),
            imagenet("res2net101_26w_4s", "101", Config.imagenet(DEPTH_101, 26, 4)),
            imagenet("res2next50", "50", Config.res2next(DEPTH_50, 4, 8, 4)),
            imagenet("res2net50_v1b", "50", Config.v1b(DEPTH_50, 26, 4)),
            imagenet("res2net101_v1b", "101", Config.v1b(DEPTH_101, 26, 4)),
            imagenet("res2net152_v1b_26w_4s", "152", Config.v1b(DEPTH_152, 26, 4)),
            small("res2net_small", "26", Config.small()));

    private static ModelSpec imagenet(String id, String depth, Config config) {
        return spec(id, depth, config, ModelArgs.imagenet(), Datasets.IMAGENET_SPEC);
    }

    private static ModelSpec small(String id, String depth, Config config) {
        return spec(id, depth, config, new ModelArgs(10, 1, false, Map.of()), Datasets.FASHION_MNIST_SPEC);
    }

    private static ModelSpec spec(String id, String depth, Config config, ModelArgs defaults, Datasets data) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("family", "res2net");
        p.put("depth", depth);
        p.put("width", Integer.toString(config.baseWidth()));
        p.put("scales", Integer.toString(config.scale()));
        p.put("version", config.shortcut() == Shortcut.V1B ? "v1b" : "v1");
        if (config.cardinality() > 1) {
            p.put("cardinality", Integer.toString(config.cardinality()));
        }
        p.put("dataset", data.name());
        return new ModelSpec(id, "res2net", Collections.unmodifiableMap(p), defaults, data,
                args -> Res2Net.build(id, config, args));
    }

    /** The service instance {@link io.convzoo.zoo.ModelRegistry} loads. */
    public Res2Nets() {
    }

    @Override
    public List<ModelSpec> variants() {
        return VARIANTS;
    }
}
