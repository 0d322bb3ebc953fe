package io.convzoo.zoo.arch.pyconv;

import io.convzoo.zoo.Datasets;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.ModelFamily;
import io.convzoo.zoo.ModelSpec;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * PyConvSegNet's variant table (iduta/pyconvsegnet): the PyConv head on PyConvResNet and
 * PyConvHGResNet 50/101/152, for ADE20K (150 classes, 473×473, output stride 8 by default;
 * arguments {@code numClasses}, {@code outputStride} 8 or 16, {@code dropout}).
 */
public final class PyConvSegNets implements ModelFamily {

    /** Family name used in the registry and in {@code optFilter("family", ...)}. */
    public static final String FAMILY = "pyconvsegnet";

    /** Every variant. */
    public static final List<ModelSpec> VARIANTS = List.of(
            variant("pyconvresnet", 50, () -> PyConvResNet.builder().bottleneck(3, 4, 6, 3)),
            variant("pyconvresnet", 101, () -> PyConvResNet.builder().bottleneck(3, 4, 23, 3)),
            variant("pyconvresnet", 152, () -> PyConvResNet.builder().bottleneck(3, 8, 36, 3)),
            variant("pyconvhgresnet", 50, () -> PyConvResNet.builder().highGroups().bottleneck(3, 4, 6, 3)),
            variant("pyconvhgresnet", 101, () -> PyConvResNet.builder().highGroups().bottleneck(3, 4, 23, 3)),
            variant("pyconvhgresnet", 152, () -> PyConvResNet.builder().highGroups().bottleneck(3, 8, 36, 3)));

    private static ModelSpec variant(String backbone, int depth, Supplier<PyConvResNet.Builder> builder) {
        String id = "pyconvsegnet_" + backbone + depth;
        return new ModelSpec(id, FAMILY,
                Map.of("family", FAMILY, "backbone", backbone + depth, "depth", Integer.toString(depth),
                        "dataset", Datasets.ADE20K, "task", "segmentation"),
                new ModelArgs(150, 3, false, Map.of(PyConvSegNet.OUTPUT_STRIDE, PyConvSegNet.DEFAULT_OUTPUT_STRIDE)),
                Datasets.ADE20K_SPEC,
                args -> PyConvSegNet.build(id, builder.get(), PyConvSegNet.Head.OFFICIAL, args));
    }

    /** The service instance {@link io.convzoo.zoo.ModelRegistry} loads. */
    public PyConvSegNets() {
    }

    @Override
    public List<ModelSpec> variants() {
        return VARIANTS;
    }
}
