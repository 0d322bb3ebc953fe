package io.convzoo.zoo.arch.dyconv;

import io.convzoo.zoo.Datasets;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.ModelFamily;
import io.convzoo.zoo.ModelSpec;
import io.convzoo.zoo.arch.dyconv.DyVgg.Config;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The registered dynamic-convolution variants (family {@code dyconv}): the official DY-ResNets and
 * DY-VGGs of dy_resnet.py / dy_vgg.py under the official function names prefixed {@code dy_}
 * (ImageNet defaults: 1000 classes, 224×224), and dy_resnet_small (Fashion-MNIST, 28, 1 channel,
 * 10 classes). Properties for {@code Criteria.optFilter}: family, depth, kernels, dataset, arch
 * (resnet, resnext, wide_resnet, vgg), and cardinality / width / batchNorm where they apply.
 */
public final class DyResNets implements ModelFamily {

    /** Family name. */
    public static final String FAMILY = "dyconv";

    /** Every variant, one line each. */
    public static final List<ModelSpec> VARIANTS = List.of(
            imagenet("dy_resnet18", "18", "resnet", Map.of(), DyResNet::dyResnet18),
            imagenet("dy_resnet50", "50", "resnet", Map.of(), DyResNet::dyResnet50),
            new ModelSpec("dy_resnet_small", FAMILY, properties("10", "resnet", Map.of(), Datasets.FASHION_MNIST),
                    new ModelArgs(10, 1, false, Map.of()), Datasets.FASHION_MNIST_SPEC, DyResNet::dyResnetSmall),
            // issue 20: the other official variants of dy_resnet.py and dy_vgg.py
            imagenet("dy_resnet34", "34", "resnet", Map.of(), DyResNet::dyResnet34),
            imagenet("dy_resnet101", "101", "resnet", Map.of(), DyResNet::dyResnet101),
            imagenet("dy_resnet152", "152", "resnet", Map.of(), DyResNet::dyResnet152),
            imagenet("dy_resnext50_32x4d", "50", "resnext", Map.of("cardinality", "32", "width", "4"),
                    DyResNet::dyResnext50_32x4d),
            imagenet("dy_wide_resnet50_2", "50", "wide_resnet", Map.of("width", "128"), DyResNet::dyWideResnet50_2),
            vgg("dy_vgg11", "11", Config.A, false),
            vgg("dy_vgg11_bn", "11", Config.A, true),
            vgg("dy_vgg13", "13", Config.B, false),
            vgg("dy_vgg13_bn", "13", Config.B, true),
            vgg("dy_vgg16", "16", Config.D, false),
            vgg("dy_vgg16_bn", "16", Config.D, true),
            vgg("dy_vgg19", "19", Config.E, false),
            vgg("dy_vgg19_bn", "19", Config.E, true));

    private static ModelSpec imagenet(String id, String depth, String arch, Map<String, String> more,
                                      Function<ModelArgs, ai.djl.nn.Block> builder) {
        return new ModelSpec(id, FAMILY, properties(depth, arch, more, Datasets.IMAGENET), ModelArgs.imagenet(),
                Datasets.IMAGENET_SPEC, builder);
    }

    private static ModelSpec vgg(String id, String depth, Config config, boolean batchNorm) {
        return imagenet(id, depth, "vgg", Map.of("batchNorm", Boolean.toString(batchNorm)),
                args -> DyVgg.of(id, config, batchNorm, args));
    }

    private static Map<String, String> properties(String depth, String arch, Map<String, String> more, String dataset) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("family", FAMILY);
        p.put("depth", depth);
        p.put("kernels", String.valueOf(DyResNet.DEFAULT_KERNELS));
        p.put("arch", arch);
        p.putAll(more);
        p.put("dataset", dataset);
        return Collections.unmodifiableMap(p);
    }

    /** The service instance {@link io.convzoo.zoo.ModelRegistry} loads. */
    public DyResNets() {
    }

    @Override
    public List<ModelSpec> variants() {
        return VARIANTS;
    }
}
