package io.convzoo.blocks.dynamic;

import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.initializer.NormalInitializer;
import io.convzoo.blocks.Checks;
import io.convzoo.blocks.DataflowBlock;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.Ops;

/**
 * The kernel attention of dynamic convolution, structured and named as the official
 * {@code attention2d}: global average pool, {@code fc1} (1×1 conv, no bias), ReLU, {@code fc2}
 * (1×1 conv with bias), then {@code softmax(z / T)} over the K kernels. With
 * {@link DynamicConv2d.Routing#SIGMOID} each kernel gets an independent {@code sigmoid(z / T)}
 * instead (CondConv-style routing).
 *
 * <p>Input (N, C, H, W); output (N, K). The hidden width is the official one:
 * {@code int(C * ratio) + 1}, except {@code K} when the input has exactly 3 channels (an RGB
 * image).
 */
public final class DynamicConvAttention extends DataflowBlock {

    private static final String NAME = "DynamicConvAttention";

    private final int inChannels;
    private final int hiddenChannels;
    private final int kernels;
    private final DynamicConv2d.Routing routing;
    private final Conv2d fc1;
    private final Conv2d fc2;
    private volatile float temperature;

    DynamicConvAttention(int inChannels, double ratio, int kernels, float temperature,
                         DynamicConv2d.Routing routing) {
        this.inChannels = inChannels;
        this.hiddenChannels = hiddenChannels(inChannels, ratio, kernels);
        this.kernels = kernels;
        this.routing = routing;
        setTemperature(temperature);
        fc1 = Layers.conv(hiddenChannels, 1, 1, 0, 1, 1, false);
        fc2 = Layers.conv(kernels, 1, 1, 0, 1, 1, true);
        // Official init: kaiming_normal_(fan_out, relu) on both 1x1 convs, fc2 bias zero (DJL's default).
        fc1.getParameters().get("weight").setInitializer(new NormalInitializer((float) Math.sqrt(2.0 / hiddenChannels)));
        fc2.getParameters().get("weight").setInitializer(new NormalInitializer((float) Math.sqrt(2.0 / kernels)));
        addChildBlock("fc1", fc1);
        addChildBlock("fc2", fc2);
    }

    /** Official hidden width: {@code int(inChannels * ratio) + 1}, or {@code kernels} for a 3-channel input. */
    public static int hiddenChannels(int inChannels, double ratio, int kernels) {
        return inChannels == 3 ? kernels : (int) (inChannels * ratio) + 1;
    }

    /** Width of the hidden 1×1 conv. */
    public int getHiddenChannels() {
        return hiddenChannels;
    }

    /** Current softmax (or sigmoid) temperature. */
    public float getTemperature() {
        return temperature;
    }

    /** Sets the temperature; must be positive. Takes effect at the next forward. */
    public void setTemperature(float temperature) {
        Checks.require(temperature > 0 && Float.isFinite(temperature), NAME,
                "temperature must be a positive finite number, got " + temperature);
        this.temperature = temperature;
    }

    /** Reads x through its spatial mean (which does not consume it); T = 1 needs no scaling. */
    @Override
    protected <T> T forward(Ops<T> ops, T x) {
        ops.require(x, s -> Checks.requireNchw(NAME, s, inChannels));
        T hidden = ops.relu(ops.child(fc1, ops.spatialMean(x)));
        T logits = ops.scale(ops.flatten(ops.child(fc2, hidden), 1), 1f / ops.state(this::getTemperature));
        return routing == DynamicConv2d.Routing.SOFTMAX ? ops.softmax(logits, 1) : ops.sigmoid(logits);
    }

    @Override
    public String toString() {
        return NAME + "(" + inChannels + " -> " + hiddenChannels + " -> " + kernels + ", " + routing
                + ", T=" + temperature + ")";
    }
}
