package io.convzoo.blocks.res2net;

import ai.djl.nn.convolutional.Conv2d;
import io.convzoo.blocks.script.ScriptWriter;
import io.convzoo.blocks.script.Scriptable;
import java.util.List;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.convzoo.blocks.Checks;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.SpatialMean;
import io.convzoo.blocks.TracedBlock;

/**
 * Squeeze-and-excitation as timm's {@code SEModule} (the attention timm's ResNet/Res2Net blocks
 * create for {@code attn_layer='se'}): global mean, 1×1 conv {@code fc1} with bias to
 * {@link #reducedChannels(int)} channels, ReLU, 1×1 conv {@code fc2} with bias back to C, sigmoid
 * gate that scales the input. Child names match timm's state_dict keys ({@code se.fc1.weight}, …).
 */
public final class SqueezeExcite extends TracedBlock implements Scriptable {

    private static final String NAME = "SqueezeExcite";

    private final int channels;
    private final Block fc1;
    private final Block fc2;

    /** SE over {@code channels} channels with timm's default reduction (ratio 1/16, divisor 8). */
    public SqueezeExcite(int channels) {
        Checks.require(channels >= 1, NAME, "channels must be >= 1, got " + channels);
        this.channels = channels;
        int reduced = reducedChannels(channels);
        fc1 = addChildBlock("fc1", Layers.conv(reduced, 1, 1, 0, 1, 1, true));
        fc2 = addChildBlock("fc2", Layers.conv(channels, 1, 1, 0, 1, 1, true));
    }

    /**
     * timm's {@code make_divisible(channels / 16, 8, round_limit=0)}: the nearest multiple of 8,
     * at least 8.
     */
    public static int reducedChannels(int channels) {
        double v = channels / 16.0;
        return Math.max(8, (int) (v + 4) / 8 * 8);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        Checks.requireNchw(NAME, x, channels);
        NDArray squeezed = SpatialMean.of(x);
        NDArray hidden = Activation.relu(fc1.forward(ps, new NDList(squeezed), training, params).head());
        NDArray gate = Activation.sigmoid(fc2.forward(ps, new NDList(hidden), training, params).head());
        return new NDList(x.mul(gate));
    }

    @Override
    public List<String> emitScript(ScriptWriter w, List<String> inputs) {
        String x = inputs.get(0);
        String squeezed = SpatialMean.script(w, x);
        String hidden = w.relu(w.conv((Conv2d) fc1, squeezed));
        String gate = w.let("torch.sigmoid(" + w.conv((Conv2d) fc2, hidden) + ")");
        return List.of(w.let((w.isFresh(x) ? "torch.mul_(" : "torch.mul(") + x + ", " + gate + ")"));
    }

    @Override
    protected Shape[] trace(Shape[] inputShapes, ChildVisitor visitor) {
        Shape s = inputShapes[0];
        Checks.requireNchw(NAME, s, channels);
        Shape pooled = new Shape(s.get(0), channels, 1, 1);
        Shape[] hidden = visit(visitor, "fc1", fc1, pooled);
        visit(visitor, "fc2", fc2, hidden);
        return new Shape[] {s};
    }
}
