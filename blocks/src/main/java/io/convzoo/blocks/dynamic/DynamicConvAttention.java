package io.convzoo.blocks.dynamic;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;
import io.convzoo.blocks.Checks;
import io.convzoo.blocks.ForwardArrays;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.SpatialMean;
import io.convzoo.blocks.TracedBlock;
import io.convzoo.blocks.script.ScriptWriter;
import io.convzoo.blocks.script.Scriptable;
import java.util.List;

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
public final class DynamicConvAttention extends TracedBlock implements Scriptable {

    private static final String NAME = "DynamicConvAttention";

    private final int inChannels;
    private final int hiddenChannels;
    private final int kernels;
    private final DynamicConv2d.Routing routing;
    private final Conv2d fc1;
    private final Conv2d fc2;
    private volatile float temperature;
    private NDArray inverseTemperature;
    private float inverseTemperatureOf;

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

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        NDArray x = inputs.head();
        Checks.requireNchw(NAME, x, inChannels);
        long n = x.getShape().get(0);
        NDArray pooled = SpatialMean.of(x);
        NDArray hidden = Activation.relu(fc1.forward(ps, new NDList(pooled), training, params).head());
        NDArray logits = fc2.forward(ps, new NDList(hidden), training, params).head().reshape(n, kernels);
        // Not logits.div(float): on CPU DJL wraps a Java scalar in a tensor that borrows a direct
        // buffer, freed once that temporary closes while autograd still holds it for the backward
        // (garbage gradients after a GC, then NaN). A native full() owns its memory.
        // T = 1 (a trained DyConv's final temperature, CondConv's default) needs no division; an eval
        // forward multiplies its own fresh logits in place by a kept 1/T.
        float t = temperature;
        NDArray scaled;
        if (t == 1f) {
            scaled = logits;
        } else if (training) {
            scaled = logits.div(logits.getManager().full(new Shape(), t, logits.getDataType()));
        } else {
            scaled = logits.muli(inverseTemperature(t, x.getDevice()));
        }
        NDArray weights = routing == DynamicConv2d.Routing.SOFTMAX ? scaled.softmax(1) : Activation.sigmoid(scaled);
        return new NDList(weights);
    }

    /** 1/T as a scalar on {@code device}, in fc2's weight type, kept until T, device or type change. */
    private synchronized NDArray inverseTemperature(float t, Device device) {
        NDArray weight = fc2.getParameters().get("weight").getArray();
        DataType type = weight.getDataType();
        NDArray cached = inverseTemperature;
        if (cached == null || cached.isReleased() || inverseTemperatureOf != t || !cached.getDevice().equals(device)
                || cached.getDataType() != type) {
            if (cached != null) {
                cached.close();
            }
            cached = weight.getManager().full(new Shape(), 1f / t, type, device);
            ForwardArrays.keep(cached);
            inverseTemperature = cached;
            inverseTemperatureOf = t;
        }
        return cached;
    }

    @Override
    public List<String> emitScript(ScriptWriter w, List<String> inputs) {
        String pooled = SpatialMean.script(w, inputs.get(0));
        String hidden = w.relu(w.conv(fc1, pooled));
        String logits = w.let("torch.flatten(" + w.conv(fc2, hidden) + ", 1)");
        float t = w.watch(this::getTemperature);
        if (t != 1f) {
            logits = w.let("torch.mul_(" + logits + ", " + ScriptWriter.literal(1f / t) + ")");
        }
        return List.of(w.let((routing == DynamicConv2d.Routing.SOFTMAX ? "torch.softmax(" + logits + ", 1)"
                : "torch.sigmoid(" + logits + ")")));
    }

    @Override
    protected Shape[] trace(Shape[] inputShapes, ChildVisitor visitor) {
        Checks.require(inputShapes.length == 1, NAME, "expected one input of shape (N, C=" + inChannels
                + ", H, W), got " + inputShapes.length + " inputs");
        Checks.requireNchw(NAME, inputShapes[0], inChannels);
        long n = inputShapes[0].get(0);
        Shape[] hidden = visit(visitor, "fc1", fc1, new Shape(n, inChannels, 1, 1));
        visit(visitor, "fc2", fc2, hidden);
        return new Shape[] {new Shape(n, kernels)};
    }

    @Override
    public String toString() {
        return NAME + "(" + inChannels + " -> " + hiddenChannels + " -> " + kernels + ", " + routing
                + ", T=" + temperature + ")";
    }
}
