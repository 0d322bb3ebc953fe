package io.convzoo.zoo.arch;

import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import io.convzoo.blocks.Checks;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.NamedSequential;
import io.convzoo.blocks.Ops;
import io.convzoo.blocks.layers.GlobalAvgPool;
import io.convzoo.blocks.layers.MaxPool2d;
import io.convzoo.zoo.ModelArgs;
import java.util.Arrays;
import java.util.List;

/**
 * The ResNet-style skeleton every family configures: a stem, stages {@code layer1..layerN} of the
 * family's residual blocks, and a head ({@code avgpool}, {@code fc}), with the official module names.
 * The network checks its input once, naming the model and the expected (N, C, H, W) shape.
 */
public final class ResNet extends NamedSequential {

    /** How the network starts (children conv1, bn1, relu and a max pool, or the v1b deep stem). */
    public enum Stem {
        /** conv1 7×7 stride 2 pad 3, bn1, relu, maxpool 3×3/2 (torchvision's ResNet). */
        IMAGENET,
        /** As {@link #IMAGENET} without the max pool (PyConvResNet). */
        IMAGENET_NO_POOL,
        /** As {@link #IMAGENET} with the pool named {@code maxpool1} (official Res2NeXt). */
        IMAGENET_MAXPOOL1,
        /** v1b deep stem: conv1 = three 3×3 convs (the first stride 2) with BN/ReLU between, then bn1, relu, maxpool. */
        DEEP,
        /** Small images (28×28 / 32×32): conv1 3×3 stride 1 pad 1, bn1, relu, no pooling. */
        SMALL
    }

    /**
     * The shape of a network.
     *
     * @param stem how it starts
     * @param stemWidth channels out of the stem
     * @param depths residual blocks per stage
     * @param planes planes per stage (block outputs are planes × expansion)
     * @param strides stride of each stage's first block
     * @param expansion output channels per plane of the family's block
     */
    public record Layout(Stem stem, int stemWidth, int[] depths, int[] planes, int[] strides, int expansion) {
        public Layout {
            Checks.require(depths.length == planes.length && depths.length == strides.length, "ResNet",
                    "depths, planes and strides need one entry per stage, got " + Arrays.toString(depths) + ", "
                            + Arrays.toString(planes) + ", " + Arrays.toString(strides));
            depths = depths.clone();
            planes = planes.clone();
            strides = strides.clone();
        }

        /** The ImageNet layout: planes 64/128/256/512, stem width 64, strides 1, 2, 2, 2. */
        public static Layout imagenet(Stem stem, int[] depths, int expansion) {
            return new Layout(stem, 64, depths, new int[] {64, 128, 256, 512}, new int[] {1, 2, 2, 2}, expansion);
        }
    }

    /** The family's residual block {@code index} of stage {@code stage} (0-based). */
    @FunctionalInterface
    public interface BlockFactory {
        Block block(int stage, int index, int inChannels, int planes, int stride);
    }

    private final String name;
    private final int inputChannels;

    private ResNet(String name, int inputChannels) {
        this.name = name;
        this.inputChannels = inputChannels;
    }

    /**
     * The network {@code id} of {@code family} (the name in error messages is {@code "id (family)"}):
     * stem, stages of {@code blocks}, head with {@code args.numClasses()} outputs.
     */
    public static ResNet build(String id, String family, Layout layout, BlockFactory blocks, ModelArgs args) {
        ResNet net = new ResNet(id + " (" + family + ")", args.inputChannels());
        net.addStem(layout.stem(), layout.stemWidth());
        int inChannels = layout.stemWidth();
        for (int s = 0; s < layout.depths().length; s++) {
            NamedSequential stage = new NamedSequential();
            for (int b = 0; b < layout.depths()[s]; b++) {
                stage.add(Integer.toString(b), blocks.block(s, b, inChannels, layout.planes()[s],
                        b == 0 ? layout.strides()[s] : 1));
                inChannels = layout.planes()[s] * layout.expansion();
            }
            net.add("layer" + (s + 1), stage);
        }
        net.add("avgpool", new GlobalAvgPool());
        net.add("fc", Linear.builder().setUnits(args.numClasses()).build());
        return net;
    }

    private void addStem(Stem stem, int width) {
        switch (stem) {
            case SMALL -> {
                add("conv1", Layers.conv(width, 3, 1, 1, 1, 1, false));
                add("bn1", Layers.batchNorm());
                add("relu", Layers.relu());
            }
            case DEEP -> {
                int half = width / 2;
                add("conv1", new NamedSequential()
                        .add("0", Layers.conv(half, 3, 2, 1, 1, 1, false))
                        .add("1", Layers.batchNorm())
                        .add("2", Layers.relu())
                        .add("3", Layers.conv(half, 3, 1, 1, 1, 1, false))
                        .add("4", Layers.batchNorm())
                        .add("5", Layers.relu())
                        .add("6", Layers.conv(width, 3, 1, 1, 1, 1, false)));
                add("bn1", Layers.batchNorm());
                add("relu", Layers.relu());
                add("maxpool", new MaxPool2d(3, 2, 1));
            }
            default -> {
                add("conv1", Layers.conv(width, 7, 2, 3, 1, 1, false));
                add("bn1", Layers.batchNorm());
                add("relu", Layers.relu());
                if (stem == Stem.IMAGENET) {
                    add("maxpool", new MaxPool2d(3, 2, 1));
                } else if (stem == Stem.IMAGENET_MAXPOOL1) {
                    add("maxpool1", new MaxPool2d(3, 2, 1));
                }
            }
        }
    }

    /** Input channels the network expects. */
    public int getInputChannels() {
        return inputChannels;
    }

    @Override
    public <T> List<T> forward(Ops<T> ops, List<T> inputs) {
        Checks.requireOneNchw(ops, inputs, name, inputChannels);
        return super.forward(ops, inputs);
    }

    @Override
    public String toString() {
        return name;
    }
}
