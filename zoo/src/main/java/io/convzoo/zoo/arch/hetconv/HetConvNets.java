package io.convzoo.zoo.arch.hetconv;

import io.convzoo.zoo.Datasets;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.ModelFamily;
import io.convzoo.zoo.ModelSpec;
import io.convzoo.zoo.arch.ResNet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The HetConv networks of Singh et al. (CVPR 2019), family {@code hetconv}: VGG-16 on CIFAR-10 and
 * ResNet-34 / ResNet-50 on ImageNet with every 3×3 conv (but VGG's first) a HetConv of part P, for
 * P = 4, 8, 16, 32 ({@code hetconv_vgg16_p4} … {@code hetconv_resnet50_p32}); {@link #SMALL}
 * ({@code hetconv_resnet_small}, 28×28 Fashion-MNIST) ships trained weights. There is no official code or checkpoint;
 * the layouts are the paper's base networks (torchvision's ResNets, the CIFAR VGG-16).
 */
public final class HetConvNets implements ModelFamily {

    /** Family name. */
    public static final String FAMILY = "hetconv";
    /** The parts P the paper reports and the zoo registers. */
    public static final int[] PARTS = {4, 8, 16, 32};
    /** Part of the small variant. */
    public static final int SMALL_PART = 4;

    /** The small variant's line: Fashion-MNIST, trained weights in the jar (docs/pretrained.md). */
    public static final ModelSpec SMALL = new ModelSpec("hetconv_resnet_small", FAMILY,
            properties("10", SMALL_PART, Datasets.FASHION_MNIST), new ModelArgs(10, 1, false, Map.of()),
            Datasets.FASHION_MNIST_SPEC, HetConvNets::resnetSmall);

    /** Every registered variant: VGG-16, ResNet-34, ResNet-50 for each P, and the small variant. */
    public static final List<ModelSpec> VARIANTS = variants(PARTS);

    private static List<ModelSpec> variants(int[] parts) {
        List<ModelSpec> specs = new ArrayList<>();
        for (int p : parts) {
            specs.add(new ModelSpec("hetconv_vgg16_p" + p, FAMILY, properties("16", p, Datasets.CIFAR10),
                    new ModelArgs(10, 3, false, Map.of()), Datasets.CIFAR10_SPEC, args -> vgg16(args, p)));
        }
        for (int p : parts) {
            specs.add(new ModelSpec("hetconv_resnet34_p" + p, FAMILY, properties("34", p, Datasets.IMAGENET),
                    ModelArgs.imagenet(), Datasets.IMAGENET_SPEC, args -> resnet34(args, p)));
        }
        for (int p : parts) {
            specs.add(new ModelSpec("hetconv_resnet50_p" + p, FAMILY, properties("50", p, Datasets.IMAGENET),
                    ModelArgs.imagenet(), Datasets.IMAGENET_SPEC, args -> resnet50(args, p)));
        }
        specs.add(SMALL);
        return List.copyOf(specs);
    }

    private static Map<String, String> properties(String depth, int part, String dataset) {
        return Map.of("family", FAMILY, "depth", depth, "part", Integer.toString(part), "dataset", dataset);
    }

    /** HetConv VGG-16 (CIFAR-10 layout) of part {@code p}; {@code p = 1} is the plain VGG-16. */
    public static HetVgg vgg16(ModelArgs args, int p) {
        return HetVgg.build("hetconv_vgg16_p" + p, HetVgg.VGG16, p, args);
    }

    /** ResNet-34 (basic blocks [3, 4, 6, 3]) with HetConv 3×3 convs of part {@code p}. */
    public static ResNet resnet34(ModelArgs args, int p) {
        return imagenet("hetconv_resnet34_p" + p, HetResidual.Kind.BASIC, new int[] {3, 4, 6, 3}, p, args);
    }

    /** ResNet-50 (bottlenecks [3, 4, 6, 3]) with HetConv 3×3 convs of part {@code p}. */
    public static ResNet resnet50(ModelArgs args, int p) {
        return imagenet("hetconv_resnet50_p" + p, HetResidual.Kind.BOTTLENECK, new int[] {3, 4, 6, 3}, p, args);
    }

    /**
     * Small-image variant (28×28): 3×3/1 stem to 32 channels, then four stages of one HetConv basic
     * block (P = 4) each, widths 32/64/128/256, strides 1, 2, 2, 2 (28 → 28 → 14 → 7 → 4), the layout
     * of dy_resnet_small at twice its widths (docs/pretrained.md).
     */
    public static ResNet resnetSmall(ModelArgs args) {
        ResNet.Layout layout = new ResNet.Layout(ResNet.Stem.SMALL, 32, new int[] {1, 1, 1, 1},
                new int[] {32, 64, 128, 256}, new int[] {1, 2, 2, 2}, HetResidual.Kind.BASIC.expansion);
        return build("hetconv_resnet_small", layout, HetResidual.Kind.BASIC, SMALL_PART, args);
    }

    private static ResNet imagenet(String id, HetResidual.Kind kind, int[] depths, int p, ModelArgs args) {
        return build(id, ResNet.Layout.imagenet(ResNet.Stem.IMAGENET, depths, kind.expansion), kind, p, args);
    }

    private static ResNet build(String id, ResNet.Layout layout, HetResidual.Kind kind, int p, ModelArgs args) {
        return ResNet.build(id, "HetConv ResNet", layout, (stage, index, in, planes, stride) ->
                new HetResidual(kind, in, planes, stride, p, args.zeroInitLastBn()), args);
    }

    /** The service instance {@link io.convzoo.zoo.ModelRegistry} loads. */
    public HetConvNets() {
    }

    @Override
    public List<ModelSpec> variants() {
        return VARIANTS;
    }
}
