package io.convzoo.zoo.arch.octconv;

import io.convzoo.blocks.script.ScriptWriter;
import io.convzoo.blocks.script.Scriptable;
import java.util.ArrayList;
import java.util.List;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.convzoo.blocks.Checks;
import io.convzoo.blocks.ForwardArrays;
import io.convzoo.blocks.TracedBlock;
import io.convzoo.blocks.octconv.OctConv;
import io.convzoo.blocks.octconv.OctConvBn;
import io.convzoo.blocks.octconv.OctConvBnAct;
import io.convzoo.blocks.ReluBlock;

/**
 * The official OctResNet {@code Bottleneck} (expansion 4): {@code conv1} (1×1 OctConv-BN-ReLU,
 * alpha {@code alphaIn -> alphaOut}), {@code conv2} (3×3 OctConv-BN-ReLU carrying the stride),
 * {@code conv3} (1×1 OctConv-BN), {@code relu} and the optional {@code downsample} (a sequence whose
 * child {@code 0} is an {@link OctConvBn}). conv2 and conv3 keep {@code alphaOut} on both sides;
 * the official code writes {@code 0 if output else 0.5} there, which is {@code alphaOut} in every
 * official call. The residual is added per frequency, then ReLU per frequency.
 *
 * <p>Reads and returns (high[, low]) lists as {@link OctConv} does: two arrays when
 * {@code alphaIn > 0} (resp. {@code alphaOut > 0}), else one.
 */
public class OctBottleneck extends TracedBlock implements Scriptable {

    /** Output channels per plane, as the official Bottleneck. */
    public static final int EXPANSION = 4;

    private final String name;
    private final OctConvBnAct conv1;
    private final OctConvBnAct conv2;
    private final OctConvBn conv3;
    private final Block relu;
    private final Block downsample;

    /**
     * @param inplanes input channels (high + low)
     * @param planes bottleneck planes; output channels are {@code planes * 4}
     * @param stride 1 or 2 (average pooling inside conv2 and the downsample)
     * @param downsample the projection of the residual, or null for identity
     * @param groups groups of conv2
     * @param baseWidth width per group (64 = plain ResNet)
     * @param alphaIn low-frequency fraction of the input
     * @param alphaOut low-frequency fraction inside the block and of its output
     * @param zeroInitLastBn start conv3's BatchNorms at gamma = 0
     */
    public OctBottleneck(int inplanes, int planes, int stride, Block downsample, int groups, int baseWidth,
                         double alphaIn, double alphaOut, boolean zeroInitLastBn) {
        int width = (int) (planes * (baseWidth / 64.0)) * groups;
        this.name = "OctBottleneck(" + inplanes + "->" + planes * EXPANSION + ", s" + stride + ")";
        this.conv1 = new OctConvBnAct(OctConv.builder().setChannels(inplanes, width).setKernel(1)
                .optAlpha(alphaIn, alphaOut).build());
        this.conv2 = new OctConvBnAct(OctConv.builder().setChannels(width, width).setKernel(3).optStride(stride)
                .optPadding(1).optGroups(groups).optAlpha(alphaOut, alphaOut).build());
        this.conv3 = new OctConvBn(OctConv.builder().setChannels(width, planes * EXPANSION).setKernel(1)
                .optAlpha(alphaOut, alphaOut).build(), zeroInitLastBn);
        this.relu = new ReluBlock();
        this.downsample = downsample;
        addChildBlock("conv1", conv1);
        addChildBlock("conv2", conv2);
        addChildBlock("conv3", conv3);
        addChildBlock("relu", relu);
        if (downsample != null) {
            addChildBlock("downsample", downsample);
        }
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        // conv1 (an OctConv) validates the input; the sum is checked here on the arrays' shapes
        // (cheaper than re-tracing the whole block on every forward).
        // Each step's dead intermediates are freed as it ends (eval only, see ForwardArrays).
        NDList y = ForwardArrays.step(training, () -> conv1.forward(ps, inputs, training, params));
        y = ForwardArrays.next(training, y, inputs, in -> conv2.forward(ps, in, training, params));
        y = ForwardArrays.next(training, y, inputs, in -> conv3.forward(ps, in, training, params));
        NDList identity = downsample != null
                ? ForwardArrays.step(training, () -> downsample.forward(ps, inputs, training, params)) : inputs;
        requireResidual(y.getShapes(), identity.getShapes());
        // Per frequency; the relu child gives names and shapes, as in the other residual blocks.
        NDList out = new NDList(y.size());
        for (int i = 0; i < y.size(); i++) {
            out.add(ForwardArrays.residualRelu(y.get(i), identity.get(i), training));
        }
        ForwardArrays.release(training, identity, inputs);
        return out;
    }

    @Override
    public List<String> emitScript(ScriptWriter w, List<String> inputs) {
        inputs.forEach(w::share);
        List<String> y = w.emit(conv3, w.emit(conv2, w.emit(conv1, inputs)));
        List<String> identity = downsample != null ? w.emit(downsample, inputs) : inputs;
        if (identity.size() != y.size()) {
            throw new UnsupportedOperationException(name + ": residual and shortcut arity differ");
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < y.size(); i++) {
            out.add(w.residualRelu(y.get(i), identity.get(i)));
        }
        return out;
    }

    private void requireResidual(Shape[] y, Shape[] identity) {
        Checks.require(identity.length == y.length, name, "the residual branch returns " + y.length
                + " array(s) but the shortcut " + identity.length + "; without a downsample the input must be "
                + (y.length == 2 ? "a (high, low) pair" : "a single high-frequency array"));
        for (int i = 0; i < y.length; i++) {
            Checks.require(y[i].equals(identity[i]), name, "residual " + y[i] + " and shortcut " + identity[i]
                    + " differ (part " + (i == 0 ? "high" : "low") + ")");
        }
    }

    @Override
    protected Shape[] trace(Shape[] inputShapes, ChildVisitor visitor) {
        Shape[] y = visit(visitor, "conv1", conv1, inputShapes);
        y = visit(visitor, "conv2", conv2, y);
        y = visit(visitor, "conv3", conv3, y);
        Shape[] identity = downsample != null ? visit(visitor, "downsample", downsample, inputShapes) : inputShapes;
        requireResidual(y, identity);
        // One ReLU module for both parts, as officially.
        return visit(visitor, "relu", relu, y);
    }
}
