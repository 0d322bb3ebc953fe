package io.convzoo.zoo.arch.pyconv;

import io.convzoo.zoo.Datasets;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.ModelFamily;
import io.convzoo.zoo.ModelSpec;
import io.convzoo.zoo.arch.ResNet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** The PyConv family's variant table: one {@link ModelSpec} per official model plus the small variant. */
public final class PyConvResNets implements ModelFamily {

    /** Family name used in the registry and in {@code optFilter("family", ...)}. */
    public static final String FAMILY = "pyconv";

    /** Every variant, ImageNet ones first. */
    public static final List<ModelSpec> VARIANTS = List.of(
            imagenet("pyconvresnet18", 18, 64, PyConvResNet::pyconvresnet18),
            imagenet("pyconvresnet34", 34, 64, PyConvResNet::pyconvresnet34),
            imagenet("pyconvresnet50", 50, 64, PyConvResNet::pyconvresnet50),
            imagenet("pyconvresnet101", 101, 64, PyConvResNet::pyconvresnet101),
            imagenet("pyconvresnet152", 152, 64, PyConvResNet::pyconvresnet152),
            imagenet("pyconvhgresnet50", 50, 128, PyConvResNet::pyconvhgresnet50),
            imagenet("pyconvhgresnet101", 101, 128, PyConvResNet::pyconvhgresnet101),
            imagenet("pyconvhgresnet152", 152, 128, PyConvResNet::pyconvhgresnet152),
            new ModelSpec("pyconvresnet_small", FAMILY,
                    Map.of("family", FAMILY, "depth", "18", "dataset", "fashion-mnist", "width", "32"),
                    new ModelArgs(10, 1, false, Map.of()), Datasets.FASHION_MNIST_SPEC, PyConvResNet::pyconvresnetSmall));

    private static ModelSpec imagenet(String id, int depth, int width, Function<ModelArgs, ResNet> builder) {
        return new ModelSpec(id, FAMILY,
                Map.of("family", FAMILY, "depth", Integer.toString(depth), "dataset", "imagenet",
                        "width", Integer.toString(width)),
                ModelArgs.imagenet(), Datasets.IMAGENET_SPEC, builder::apply);
    }

    /** The service instance {@link io.convzoo.zoo.ModelRegistry} loads. */
    public PyConvResNets() {
    }

    @Override
    public List<ModelSpec> variants() {
        return VARIANTS;
    }
}
