package io.convzoo.zoo.arch.res2net;

import io.convzoo.blocks.res2net.Res2NetBottleneck;
import io.convzoo.blocks.res2net.Res2NetBottleneck.Shortcut;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.arch.ResNet;
import io.convzoo.zoo.arch.ResNet.Stem;

/**
 * Res2Net, Res2NeXt and Res2Net-v1b as in Res2Net/Res2Net-PretrainedModels ({@code res2net.py},
 * {@code res2next.py}, {@code res2net_v1b.py}), module for module, so that
 * {@code OfficialNames.of(block)} yields the official state_dict keys (BatchNorm's
 * {@code num_batches_tracked} counters aside, which DJL does not keep).
 *
 * <p>Layout: stem, layer1..layer4 of {@link Res2NetBottleneck}s (the first block of each layer is
 * a stage block with the downsample), avgpool, fc. Stems: the ResNet stem (conv1 7×7/2, bn1, relu,
 * maxpool; Res2NeXt names its pool {@code maxpool1}), the v1b deep stem ({@code conv1} a sequence
 * 3×3/2→32, BN, ReLU, 3×3→32, BN, ReLU, 3×3→64, then bn1, relu, maxpool) and the small-image stem
 * (3×3/1, no pooling).
 */
public final class Res2Net {

    private Res2Net() {}

    /**
     * One architecture.
     *
     * @param layers bottlenecks per layer
     * @param planes planes per layer (outputs are planes · 4)
     * @param strides stride of each layer's first block
     * @param stem the stem (ImageNet with {@code maxpool}, Res2NeXt's {@code maxpool1}, v1b deep, small)
     * @param stemWidth channels out of the stem (64 for ImageNet)
     * @param baseWidth Res2Net base width (26 for "26w")
     * @param scale number of scale groups s
     * @param cardinality groups of the 3×3 convs (Res2NeXt)
     * @param shortcut v1 (strided 1×1 conv) or v1b (average pool, then 1×1 conv) downsample
     */
    public record Config(int[] layers, int[] planes, int[] strides, Stem stem, int stemWidth, int baseWidth,
                         int scale, int cardinality, Shortcut shortcut) {

        public Config {
            layers = layers.clone();
            planes = planes.clone();
            strides = strides.clone();
            new ResNet.Layout(stem, stemWidth, layers, planes, strides, Res2NetBottleneck.EXPANSION); // checks the lengths
        }

        /** The skeleton's layout of this architecture. */
        public ResNet.Layout layout() {
            return new ResNet.Layout(stem, stemWidth, layers, planes, strides, Res2NetBottleneck.EXPANSION);
        }

        /** ImageNet Res2Net v1: ResNet stem, planes 64/128/256/512, strides 1,2,2,2. */
        public static Config imagenet(int[] layers, int baseWidth, int scale) {
            return new Config(layers, new int[] {64, 128, 256, 512}, new int[] {1, 2, 2, 2}, Stem.IMAGENET, 64,
                    baseWidth, scale, 1, Shortcut.V1);
        }

        /** Official Res2NeXt: grouped 3×3 convs, pool named maxpool1. */
        public static Config res2next(int[] layers, int baseWidth, int cardinality, int scale) {
            return new Config(layers, new int[] {64, 128, 256, 512}, new int[] {1, 2, 2, 2},
                    Stem.IMAGENET_MAXPOOL1, 64, baseWidth, scale, cardinality, Shortcut.V1);
        }

        /** Res2Net-v1b: deep stem and average-pool downsample. */
        public static Config v1b(int[] layers, int baseWidth, int scale) {
            return new Config(layers, new int[] {64, 128, 256, 512}, new int[] {1, 2, 2, 2}, Stem.DEEP, 64,
                    baseWidth, scale, 1, Shortcut.V1B);
        }

        /** Small images (28×28): 3×3 stem to 32, [2,2,2,2] blocks of planes 16/32/64/128, 26w×4s. */
        public static Config small() {
            return new Config(new int[] {2, 2, 2, 2}, new int[] {16, 32, 64, 128}, new int[] {1, 2, 2, 2},
                    Stem.SMALL, 32, 26, 4, 1, Shortcut.V1);
        }
    }

    /** Builds the network {@code id} for {@code config}. */
    public static ResNet build(String id, Config config, ModelArgs args) {
        return ResNet.build(id, "Res2Net", config.layout(), (stage, index, in, planes, stride) -> Res2NetBottleneck.builder()
                .inChannels(in)
                .planes(planes)
                .stride(stride)
                .baseWidth(config.baseWidth())
                .scale(config.scale())
                .cardinality(config.cardinality())
                // The official _make_layer makes the first block of every layer a stage block.
                .stage(index == 0)
                .shortcut(config.shortcut())
                .zeroInitLastBn(args.zeroInitLastBn())
                .build(), args);
    }

    /** {@link #build(String, Config, ModelArgs)} of a configuration without a zoo id. */
    public static ResNet build(Config config, ModelArgs args) {
        return build("res2net", config, args);
    }
}
