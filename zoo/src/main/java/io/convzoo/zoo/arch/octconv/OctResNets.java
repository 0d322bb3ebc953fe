package io.convzoo.zoo.arch.octconv;

import io.convzoo.zoo.Datasets;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.ModelFamily;
import io.convzoo.zoo.ModelSpec;
import java.util.List;
import java.util.Map;

/** The OctResNet variants of the zoo: the official ImageNet models and a small-image variant. */
public final class OctResNets implements ModelFamily {

    /** Family name used in the registry and in {@code optFilter("family", ...)}. */
    public static final String FAMILY = "octconv";

    private static final ModelArgs SMALL_DEFAULTS = new ModelArgs(10, 1, false, Map.of());

    /** One line per variant. */
    public static final List<ModelSpec> VARIANTS = List.of(
            imagenet("oct_resnet26", 26, new int[] {2, 2, 2, 2}),
            imagenet("oct_resnet50", 50, new int[] {3, 4, 6, 3}),
            imagenet("oct_resnet101", 101, new int[] {3, 4, 23, 3}),
            imagenet("oct_resnet152", 152, new int[] {3, 8, 36, 3}),
            imagenet("oct_resnet200", 200, new int[] {3, 24, 36, 3}),
            new ModelSpec("oct_resnet_small", FAMILY, properties(26, "fashion-mnist"), SMALL_DEFAULTS, Datasets.FASHION_MNIST_SPEC,
                    args -> OctResNet.small("oct_resnet_small", args)));

    private static ModelSpec imagenet(String id, int depth, int[] layers) {
        return new ModelSpec(id, FAMILY, properties(depth, "imagenet"), ModelArgs.imagenet(), Datasets.IMAGENET_SPEC,
                args -> OctResNet.imagenet(id, layers, args));
    }

    private static Map<String, String> properties(int depth, String dataset) {
        return Map.of("family", FAMILY, "depth", Integer.toString(depth), "alpha", "0.5", "dataset", dataset);
    }

    /** The service instance {@link io.convzoo.zoo.ModelRegistry} loads. */
    public OctResNets() {
    }

    @Override
    public List<ModelSpec> variants() {
        return VARIANTS;
    }
}
