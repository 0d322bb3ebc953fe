package io.convzoo.zoo.arch.resnet;

import ai.djl.nn.Block;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.NamedSequential;
import io.convzoo.blocks.Ops;
import io.convzoo.blocks.layers.Residual;
import java.util.List;

/**
 * torchvision's ResNet {@code Bottleneck} (v1.5: the stride on the 3×3 conv): conv1 1×1, conv2 3×3,
 * conv3 1×1 to planes·4, each with its BatchNorm, a ReLU after the first two, and a strided 1×1 conv +
 * BN {@code downsample} when the stride or the width changes. The whole family is this block and the
 * {@link ResNets} table.
 */
public final class Bottleneck extends Residual {

    static final int EXPANSION = 4;
    private static final String NAME = "Bottleneck";

    private final Block conv1;
    private final Block bn1;
    private final Block conv2;
    private final Block bn2;
    private final Block conv3;
    private final Block bn3;

    /** A bottleneck from {@code inChannels} to {@code planes · 4} channels. */
    public Bottleneck(int inChannels, int planes, int stride) {
        super(NAME, inChannels);
        int out = planes * EXPANSION;
        conv1 = addChildBlock("conv1", Layers.conv1x1(planes, 1));
        bn1 = addChildBlock("bn1", Layers.batchNorm());
        conv2 = addChildBlock("conv2", Layers.conv3x3(planes, stride, 1));
        bn2 = addChildBlock("bn2", Layers.batchNorm());
        conv3 = addChildBlock("conv3", Layers.conv1x1(out, 1));
        bn3 = addChildBlock("bn3", Layers.batchNorm());
        if (stride != 1 || inChannels != out) {
            setShortcut(addChildBlock("downsample", new NamedSequential()
                    .add("0", Layers.conv1x1(out, stride)).add("1", Layers.batchNorm())));
        }
    }

    @Override
    protected <T> List<T> branch(Ops<T> ops, List<T> inputs) {
        T y = ops.relu(ops.convBn(conv1, bn1, inputs.get(0)));
        y = ops.relu(ops.convBn(conv2, bn2, y));
        return List.of(ops.convBn(conv3, bn3, y));
    }
}
