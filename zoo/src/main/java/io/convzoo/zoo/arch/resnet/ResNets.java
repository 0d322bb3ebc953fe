package io.convzoo.zoo.arch.resnet;

import io.convzoo.zoo.Datasets;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.ModelFamily;
import io.convzoo.zoo.ModelSpec;
import io.convzoo.zoo.arch.ResNet;
import java.util.List;
import java.util.Map;

/**
 * torchvision's ResNet-50 layout with torchvision's module names, the reference architecture of the
 * benchmark ({@code convzoo bench}): 25,557,032 parameters and 4.09 GMACs at 1×3×224×224.
 */
public final class ResNets implements ModelFamily {

    /** Family name. */
    public static final String FAMILY = "resnet";

    /** The variants, one line each. */
    public static final List<ModelSpec> VARIANTS = List.of(
            new ModelSpec("resnet50", FAMILY, Map.of("family", FAMILY, "depth", "50", "dataset", "imagenet"),
                    ModelArgs.imagenet(), Datasets.IMAGENET_SPEC, args -> resnet(args, "resnet50", 3, 4, 6, 3)));

    private static ResNet resnet(ModelArgs args, String id, int... depths) {
        return ResNet.build(id, "ResNet", ResNet.Layout.imagenet(ResNet.Stem.IMAGENET, depths, Bottleneck.EXPANSION),
                (stage, index, in, planes, stride) -> new Bottleneck(in, planes, stride), args);
    }

    /** The service instance {@link io.convzoo.zoo.ModelRegistry} loads. */
    public ResNets() {
    }

    @Override
    public List<ModelSpec> variants() {
        return VARIANTS;
    }
}
