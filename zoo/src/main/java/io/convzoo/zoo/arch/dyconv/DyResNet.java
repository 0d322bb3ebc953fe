package io.convzoo.zoo.arch.dyconv;

import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.initializer.NormalInitializer;
import io.convzoo.blocks.dynamic.DynamicConv2d;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.arch.ResNet;

/**
 * DY-ResNets as in the official dynamic-convolution code ({@code dynamic_models/dy_resnet.py} of
 * kaijieshi7/Dynamic-convolution-Pytorch): torchvision's ResNet whose stem conv stays static and
 * whose every block conv (3×3 and 1×1, downsample included) is a {@link DynamicConv2d} with K = 4
 * kernels, attention ratio 0.25 and initial temperature 34. Module names equal the official ones,
 * so {@code OfficialNames.of(block)} yields the official {@code state_dict} keys.
 *
 * <p>Family-specific arguments: {@code kernels} (K, default 4) and {@code temperature} (the
 * attention's softmax temperature, default 34 as the official code starts; a state_dict does not
 * hold it, and the official training lowers it by 3 per epoch down to 1, so a fully trained
 * checkpoint is evaluated with {@code temperature=1}).
 */
public final class DyResNet {

    /** Argument key for the number of kernels K. */
    public static final String KERNELS = "kernels";
    /** Argument key for the attention temperature. */
    public static final String TEMPERATURE = "temperature";
    /** Official number of kernels. */
    public static final int DEFAULT_KERNELS = 4;

    private DyResNet() {}

    /** Residual block type of a stage. */
    public enum BlockType {
        BASIC(1),
        BOTTLENECK(4);

        final int expansion;

        BlockType(int expansion) {
            this.expansion = expansion;
        }
    }

    /** Official {@code resnet18} of dy_resnet.py: basic blocks [2, 2, 2, 2]. */
    public static Block dyResnet18(ModelArgs args) {
        return imagenet("dy_resnet18", BlockType.BASIC, new int[] {2, 2, 2, 2}, args);
    }

    /** Official {@code resnet34} of dy_resnet.py: basic blocks [3, 4, 6, 3]. */
    public static Block dyResnet34(ModelArgs args) {
        return imagenet("dy_resnet34", BlockType.BASIC, new int[] {3, 4, 6, 3}, args);
    }

    /** Official {@code resnet50} of dy_resnet.py: bottlenecks [3, 4, 6, 3]. */
    public static Block dyResnet50(ModelArgs args) {
        return imagenet("dy_resnet50", BlockType.BOTTLENECK, new int[] {3, 4, 6, 3}, args);
    }

    /** Official {@code resnet101} of dy_resnet.py: bottlenecks [3, 4, 23, 3]. */
    public static Block dyResnet101(ModelArgs args) {
        return imagenet("dy_resnet101", BlockType.BOTTLENECK, new int[] {3, 4, 23, 3}, args);
    }

    /** Official {@code resnet152} of dy_resnet.py: bottlenecks [3, 8, 36, 3]. */
    public static Block dyResnet152(ModelArgs args) {
        return imagenet("dy_resnet152", BlockType.BOTTLENECK, new int[] {3, 8, 36, 3}, args);
    }

    /** Official {@code resnext50_32x4d} of dy_resnet.py: bottlenecks [3, 4, 6, 3], groups 32, width per group 4. */
    public static Block dyResnext50_32x4d(ModelArgs args) {
        return build("dy_resnext50_32x4d", ResNet.Layout.imagenet(ResNet.Stem.IMAGENET, new int[] {3, 4, 6, 3},
                BlockType.BOTTLENECK.expansion), BlockType.BOTTLENECK, 32, 4, args);
    }

    /** Official {@code wide_resnet50_2} of dy_resnet.py: bottlenecks [3, 4, 6, 3], width per group 128. */
    public static Block dyWideResnet50_2(ModelArgs args) {
        return build("dy_wide_resnet50_2", ResNet.Layout.imagenet(ResNet.Stem.IMAGENET, new int[] {3, 4, 6, 3},
                BlockType.BOTTLENECK.expansion), BlockType.BOTTLENECK, 1, 128, args);
    }

    /**
     * Small-image variant (28×28 / 32×32): one basic block per stage, widths 16/32/64/128, stem
     * 3×3 stride 1 with 16 channels and no pooling, stage strides 1, 2, 2, 2. Sized so that its
     * K = 4 kernel banks fit in 5 MB and it trains on 2 CPU cores in well under two hours.
     */
    public static Block dyResnetSmall(ModelArgs args) {
        return build("dy_resnet_small", new ResNet.Layout(ResNet.Stem.SMALL, 16, new int[] {1, 1, 1, 1},
                new int[] {16, 32, 64, 128}, new int[] {1, 2, 2, 2}, BlockType.BASIC.expansion), BlockType.BASIC,
                1, 64, args);
    }

    /** ImageNet layout: 7×7/2 stem with max pool, widths 64/128/256/512 (× expansion). */
    public static Block imagenet(String name, BlockType type, int[] layers, ModelArgs args) {
        return build(name, ResNet.Layout.imagenet(ResNet.Stem.IMAGENET, layers, type.expansion), type, 1, 64, args);
    }

    /**
     * A DY-ResNet of another size with the ImageNet layout (7×7/2 stem of {@code stemWidth}
     * channels with max pool, stage strides 1, 2, 2, 2): the official {@code ResNet} class built
     * with other stage depths and widths, e.g. the reduced configurations of the parity tests.
     *
     * @param planes planes of the four stages (outputs are planes × expansion)
     */
    public static Block custom(String name, BlockType type, int[] layers, int[] planes, int stemWidth,
                               ModelArgs args) {
        return custom(name, type, layers, planes, stemWidth, 1, 64, args);
    }

    /**
     * {@link #custom(String, BlockType, int[], int[], int, ModelArgs)} with the official
     * {@code groups} and {@code width_per_group} of the bottleneck (1 and 64 but for ResNeXt and
     * Wide ResNet; a basic block takes only 1 and 64, as the official one).
     */
    public static Block custom(String name, BlockType type, int[] layers, int[] planes, int stemWidth, int groups,
                               int widthPerGroup, ModelArgs args) {
        if (layers.length != planes.length) {
            throw new IllegalArgumentException("DyResNet: one width per stage needed, got " + layers.length
                    + " stages and " + planes.length + " widths");
        }
        return build(name, new ResNet.Layout(ResNet.Stem.IMAGENET, stemWidth, layers, planes, new int[] {1, 2, 2, 2},
                type.expansion), type, groups, widthPerGroup, args);
    }

    private static Block build(String id, ResNet.Layout layout, BlockType type, int groups, int widthPerGroup,
                               ModelArgs args) {
        if (type == BlockType.BASIC && (groups != 1 || widthPerGroup != 64)) {
            throw new IllegalArgumentException("DyResNet: the basic block supports only groups=1 and width per group 64"
                    + " (as the official BasicBlock), got " + groups + " and " + widthPerGroup);
        }
        int kernels = kernels(id, args);
        ResNet net = ResNet.build(id, "DyResNet", layout, (stage, index, in, planes, stride) -> type == BlockType.BASIC
                ? DyResidualBlock.basic(in, planes, stride, kernels, args.zeroInitLastBn())
                : DyResidualBlock.bottleneck(in, planes, stride, groups, widthPerGroup, kernels, args.zeroInitLastBn()),
                args);
        officialStemInit(net);
        applyTemperature(id, net, args);
        return net;
    }

    /** The {@link #KERNELS} argument of model {@code id} (default {@link #DEFAULT_KERNELS}), checked. */
    static int kernels(String id, ModelArgs args) {
        int kernels = args.getInt(KERNELS, DEFAULT_KERNELS);
        if (kernels < 1) {
            throw new IllegalArgumentException(id + ": argument " + KERNELS + " must be >= 1, got " + kernels);
        }
        return kernels;
    }

    /** Sets the {@link #TEMPERATURE} argument, where given, on every dynamic conv of {@code net}. */
    static void applyTemperature(String id, Block net, ModelArgs args) {
        if (args.extra().containsKey(TEMPERATURE)) {
            double t = args.getDouble(TEMPERATURE, DynamicConv2d.OFFICIAL_INITIAL_TEMPERATURE);
            if (!(t > 0)) {
                throw new IllegalArgumentException(id + ": argument " + TEMPERATURE + " must be > 0, got " + t);
            }
            setTemperature(net, (float) t);
        }
    }

    /** The official ResNet init of the (static) stem conv: kaiming_normal_(fan_out, relu). */
    private static void officialStemInit(ResNet net) {
        Block stem = net.getChildren().values().get(0);
        if (stem instanceof Conv2d conv) {
            long fanOut = (long) conv.getFilters() * conv.getKernelShape().size();
            conv.getParameters().get("weight").setInitializer(new NormalInitializer((float) Math.sqrt(2.0 / fanOut)));
        }
    }

    /** Sets the temperature of every dynamic conv in {@code model} (for annealing); returns how many were set. */
    public static int setTemperature(Block model, float temperature) {
        return DynamicConv2d.setTemperatureEverywhere(model, temperature);
    }

    /** The official per-epoch step ({@code update_temperature}: T -= 3 down to 1) on every dynamic conv; returns how many. */
    public static int updateTemperature(Block model) {
        return DynamicConv2d.updateTemperatureEverywhere(model);
    }
}
