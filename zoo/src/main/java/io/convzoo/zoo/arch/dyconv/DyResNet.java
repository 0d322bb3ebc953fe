package io.convzoo.zoo.arch.dyconv;

import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.initializer.NormalInitializer;
import io.convzoo.blocks.NamedSequential;
import io.convzoo.blocks.dynamic.DynamicConv2d;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.arch.ResNetParts;

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

    /** Official {@code resnet50} of dy_resnet.py: bottlenecks [3, 4, 6, 3]. */
    public static Block dyResnet50(ModelArgs args) {
        return imagenet("dy_resnet50", BlockType.BOTTLENECK, new int[] {3, 4, 6, 3}, args);
    }

    /**
     * Small-image variant (28×28 / 32×32): one basic block per stage, widths 16/32/64/128, stem
     * 3×3 stride 1 with 16 channels and no pooling, stage strides 1, 2, 2, 2. Sized so that its
     * K = 4 kernel banks fit in 5 MB and it trains on 2 CPU cores in well under two hours.
     */
    public static Block dyResnetSmall(ModelArgs args) {
        NamedSequential net = new DyResNetRoot("dy_resnet_small", args.inputChannels());
        ResNetParts.addSmallStem(net, 16);
        return body(net, BlockType.BASIC, new int[] {1, 1, 1, 1}, new int[] {16, 32, 64, 128}, 16, args);
    }

    /** ImageNet layout: 7×7/2 stem with max pool, widths 64/128/256/512 (× expansion). */
    public static Block imagenet(String name, BlockType type, int[] layers, ModelArgs args) {
        NamedSequential net = new DyResNetRoot(name, args.inputChannels());
        ResNetParts.addImagenetStem(net, 64, true);
        return body(net, type, layers, new int[] {64, 128, 256, 512}, 64, args);
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
        if (layers.length != planes.length) {
            throw new IllegalArgumentException("DyResNet: one width per stage needed, got " + layers.length
                    + " stages and " + planes.length + " widths");
        }
        NamedSequential net = new DyResNetRoot(name, args.inputChannels());
        ResNetParts.addImagenetStem(net, stemWidth, true);
        return body(net, type, layers, planes, stemWidth, args);
    }

    private static Block body(NamedSequential net, BlockType type, int[] layers, int[] planes, int stemWidth,
                              ModelArgs args) {
        officialStemInit(net);
        int kernels = args.getInt(KERNELS, DEFAULT_KERNELS);
        if (kernels < 1) {
            throw new IllegalArgumentException("DyResNet: argument " + KERNELS + " must be >= 1, got " + kernels);
        }
        int in = stemWidth;
        for (int stage = 0; stage < layers.length; stage++) {
            NamedSequential layer = new NamedSequential();
            int stride = stage == 0 ? 1 : 2;
            for (int i = 0; i < layers[stage]; i++) {
                DyResidualBlock block = type == BlockType.BASIC
                        ? DyResidualBlock.basic(in, planes[stage], i == 0 ? stride : 1, kernels, args.zeroInitLastBn())
                        : DyResidualBlock.bottleneck(in, planes[stage], i == 0 ? stride : 1, kernels,
                                args.zeroInitLastBn());
                layer.add(String.valueOf(i), block);
                in = block.outChannels();
            }
            net.add("layer" + (stage + 1), layer);
        }
        ResNetParts.addHead(net, args.numClasses());
        if (args.extra().containsKey(TEMPERATURE)) {
            double t = args.getDouble(TEMPERATURE, DynamicConv2d.OFFICIAL_INITIAL_TEMPERATURE);
            if (!(t > 0)) {
                throw new IllegalArgumentException("DyResNet: argument " + TEMPERATURE + " must be > 0, got " + t);
            }
            setTemperature(net, (float) t);
        }
        return net;
    }

    /** The official ResNet init of the (static) stem conv: kaiming_normal_(fan_out, relu). */
    private static void officialStemInit(NamedSequential net) {
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
