package io.convzoo.zoo.arch.resnet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.convzoo.blocks.Checks;
import io.convzoo.blocks.ForwardArrays;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.NamedSequential;
import io.convzoo.blocks.TracedBlock;
import io.convzoo.blocks.infer.ConvBn;
import io.convzoo.blocks.infer.FoldingSequential;
import io.convzoo.blocks.script.ScriptWriter;
import io.convzoo.blocks.script.Scriptable;
import java.util.List;
import io.convzoo.zoo.arch.ResNetParts;

/**
 * torchvision's ResNet-50 layout (bottleneck v1.5: the stride on the 3×3 conv), with torchvision's
 * module names. Not a registered zoo model: it is the reference architecture of the benchmark
 * ({@code convzoo bench}), against which the families' achieved GFLOP/s are compared.
 * 25,557,032 parameters and 4.09 GMACs at 1×3×224×224, as torchvision's resnet50.
 */
public final class ReferenceResNet50 {

    private ReferenceResNet50() {}

    /** Builds ResNet-50 for {@code numClasses} outputs and 3-channel input. */
    public static Block build(int numClasses) {
        NamedSequential net = new FoldingSequential();
        ResNetParts.addImagenetStem(net, 64, true);
        int inplanes = 64;
        int[] planes = {64, 128, 256, 512};
        int[] blocks = {3, 4, 6, 3};
        for (int l = 0; l < 4; l++) {
            NamedSequential layer = new NamedSequential();
            for (int b = 0; b < blocks[l]; b++) {
                int stride = b == 0 && l > 0 ? 2 : 1;
                layer.add(Integer.toString(b), new Bottleneck(inplanes, planes[l], stride));
                inplanes = planes[l] * Bottleneck.EXPANSION;
            }
            net.add("layer" + (l + 1), layer);
        }
        ResNetParts.addHead(net, numClasses);
        return net;
    }

    /** torchvision's Bottleneck: conv1 1×1, conv2 3×3 (stride), conv3 1×1 to planes·4, each with BN. */
    public static final class Bottleneck extends TracedBlock implements Scriptable {

        static final int EXPANSION = 4;
        private static final String NAME = "Bottleneck";

        private final int inChannels;
        private final Block conv1;
        private final Block bn1;
        private final Block conv2;
        private final Block bn2;
        private final Block conv3;
        private final Block bn3;
        private final Block downsample;

        /** A bottleneck from {@code inChannels} to {@code planes · 4} channels. */
        public Bottleneck(int inChannels, int planes, int stride) {
            this.inChannels = inChannels;
            int out = planes * EXPANSION;
            conv1 = addChildBlock("conv1", Layers.conv1x1(planes, 1));
            bn1 = addChildBlock("bn1", Layers.batchNorm());
            conv2 = addChildBlock("conv2", Layers.conv3x3(planes, stride, 1));
            bn2 = addChildBlock("bn2", Layers.batchNorm());
            conv3 = addChildBlock("conv3", Layers.conv1x1(out, 1));
            bn3 = addChildBlock("bn3", Layers.batchNorm());
            downsample = stride != 1 || inChannels != out
                    ? addChildBlock("downsample", new FoldingSequential()
                            .add("0", Layers.conv1x1(out, stride)).add("1", Layers.batchNorm()))
                    : null;
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                                         PairList<String, Object> params) {
            NDArray x = inputs.singletonOrThrow();
            Checks.requireNchw(NAME, x, inChannels);
            NDArray y = ForwardArrays.reluOfFresh(ConvBn.forward(conv1, bn1, ps, x, training, params), training);
            NDArray y2 = ForwardArrays.reluOfFresh(ConvBn.forward(conv2, bn2, ps, y, training, params), training);
            ForwardArrays.release(training, new NDList(y));
            y = ConvBn.forward(conv3, bn3, ps, y2, training, params);
            ForwardArrays.release(training, new NDList(y2));
            NDArray identity = downsample == null ? x : downsample.forward(ps, new NDList(x), training, params).head();
            return new NDList(ForwardArrays.residualRelu(y, identity, training));
        }

        @Override
        public List<String> emitScript(ScriptWriter w, List<String> inputs) {
            String x = w.share(inputs.get(0));
            String y = w.relu(w.convBn(conv1, bn1, x));
            y = w.relu(w.convBn(conv2, bn2, y));
            y = w.convBn(conv3, bn3, y);
            String identity = downsample == null ? x : w.emit(downsample, x);
            return List.of(w.residualRelu(y, identity));
        }

        @Override
        protected Shape[] trace(Shape[] inputShapes, ChildVisitor visitor) {
            Checks.require(inputShapes.length == 1, NAME, "expected one input of shape (N, C=" + inChannels
                    + ", H, W), got " + inputShapes.length + " inputs");
            Checks.requireNchw(NAME, inputShapes[0], inChannels);
            Shape[] s = visit(visitor, "conv1", conv1, inputShapes);
            s = visit(visitor, "bn1", bn1, s);
            s = visit(visitor, "conv2", conv2, s);
            s = visit(visitor, "bn2", bn2, s);
            s = visit(visitor, "conv3", conv3, s);
            s = visit(visitor, "bn3", bn3, s);
            if (downsample != null) {
                visit(visitor, "downsample", downsample, inputShapes);
            }
            return s;
        }
    }
}
