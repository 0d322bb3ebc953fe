package io.convzoo.zoo.arch;

import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.NamedSequential;
import io.convzoo.blocks.script.ScriptedLambda;

/**
 * The pieces every ResNet-style family shares, named as in the official code: the ImageNet stem
 * (conv1 7×7/2, bn1, relu, optional maxpool 3×3/2), the small-image stem (conv1 3×3/1, bn1, relu,
 * no pooling) and the head (global average pool, fc).
 */
public final class ResNetParts {

    private ResNetParts() {}

    /** Adds the ImageNet stem to {@code net}: conv1 7×7 stride 2 pad 3, bn1, relu, then maxpool when asked. */
    public static void addImagenetStem(NamedSequential net, int width, boolean maxPool) {
        net.add("conv1", Layers.conv(width, 7, 2, 3, 1, 1, false));
        net.add("bn1", Layers.batchNorm());
        net.add("relu", Layers.relu());
        if (maxPool) {
            net.add("maxpool", maxPool3x3s2());
        }
    }

    /** Adds the small-image stem (28×28 / 32×32 inputs): conv1 3×3 stride 1 pad 1, bn1, relu; no pooling. */
    public static void addSmallStem(NamedSequential net, int width) {
        net.add("conv1", Layers.conv(width, 3, 1, 1, 1, 1, false));
        net.add("bn1", Layers.batchNorm());
        net.add("relu", Layers.relu());
    }

    /** 3×3 max pool, stride 2, padding 1. */
    public static Block maxPool3x3s2() {
        return ScriptedLambda.maxPool2d(3, 2, 1);
    }

    /** Adds the head: avgpool (global average, flattened) and fc. */
    public static void addHead(NamedSequential net, int numClasses) {
        net.add("avgpool", globalAvgPool());
        net.add("fc", Linear.builder().setUnits(numClasses).build());
    }

    /** Global average pool to (N, C). */
    public static Block globalAvgPool() {
        return ScriptedLambda.globalAvgPool();
    }

    /** Identity, for residual branches without a downsample. */
    public static Block identity() {
        return ScriptedLambda.identity();
    }
}
