package io.convzoo.zoo.arch.dyconv;

import io.convzoo.zoo.Datasets;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.ModelFamily;
import io.convzoo.zoo.ModelSpec;
import java.util.List;
import java.util.Map;

/** The registered dynamic-convolution variants (family {@code dyconv}). */
public final class DyResNets implements ModelFamily {

    /** Family name. */
    public static final String FAMILY = "dyconv";

    /** dy_resnet18, dy_resnet50 (ImageNet, 224) and dy_resnet_small (Fashion-MNIST, 28, 1 channel, 10 classes). */
    public static final List<ModelSpec> VARIANTS = List.of(
            new ModelSpec("dy_resnet18", FAMILY, properties("18", "imagenet"), ModelArgs.imagenet(), Datasets.IMAGENET_SPEC,
                    DyResNet::dyResnet18),
            new ModelSpec("dy_resnet50", FAMILY, properties("50", "imagenet"), ModelArgs.imagenet(), Datasets.IMAGENET_SPEC,
                    DyResNet::dyResnet50),
            new ModelSpec("dy_resnet_small", FAMILY, properties("10", "fashion-mnist"),
                    new ModelArgs(10, 1, false, Map.of()), Datasets.FASHION_MNIST_SPEC, DyResNet::dyResnetSmall));

    private static Map<String, String> properties(String depth, String dataset) {
        return Map.of("family", FAMILY, "depth", depth, "kernels", String.valueOf(DyResNet.DEFAULT_KERNELS),
                "dataset", dataset);
    }

    /** The service instance {@link io.convzoo.zoo.ModelRegistry} loads. */
    public DyResNets() {
    }

    @Override
    public List<ModelSpec> variants() {
        return VARIANTS;
    }
}
