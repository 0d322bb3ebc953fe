package io.convzoo.zoo.arch.octconv;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.convzoo.blocks.Checks;
import io.convzoo.blocks.NamedSequential;
import io.convzoo.blocks.infer.FoldingSequential;
import io.convzoo.blocks.octconv.OctConv;
import io.convzoo.blocks.octconv.OctConvBn;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.arch.ResNetParts;

/**
 * Octave ResNet as the official {@code OctResNet} of d-li14/octconv.pytorch, layer for layer and
 * with its module names ({@code conv1}, {@code bn1}, {@code relu}, {@code maxpool},
 * {@code layer1..4}, {@code avgpool}, {@code fc}), so {@code OfficialNames.of(net)} equals the
 * official state_dict keys (BatchNorm's {@code num_batches_tracked} counters aside).
 *
 * <p>The low-frequency path starts in layer1 (its first block has {@code alphaIn = 0}), runs
 * through layer2 and layer3 and is merged back in the first block of layer4, whose later blocks
 * are plain (alpha 0) high-frequency bottlenecks. {@code alpha} (default 0.5, the official value,
 * ModelArgs key {@code "alpha"}) replaces every 0.5 of the official code.
 *
 * <p>The small-image variant ({@link #small}) uses a 3×3/1 stem of width 32 without max pooling,
 * planes 16/32/64/128 and strides 1/2/2/2. To keep every low-frequency map an exact half of its
 * high-frequency map at 28×28 inputs (28 → 28, 14, 7, 3), the low path lives in layer1 and layer2
 * only (low maps 14 and 7), layer3's first block merges it (as the official layer4 does) and layer4
 * is plain; a plain stride-2 OctConv floors 7 to 3 with its 2×2 average pooling, as PyTorch does.
 * At 32×32 the sizes are 32, 16, 8, 4.
 */
public class OctResNet extends FoldingSequential {

    private final String id;
    private final int inputChannels;

    private OctResNet(String id, int inputChannels) {
        this.id = id;
        this.inputChannels = inputChannels;
    }

    /**
     * One stage's configuration: planes, number of bottlenecks, stride, and the low-frequency
     * fraction of the stage's input and output ({@code alphaOut = 0}: the stage ends, or stays,
     * high-frequency only).
     */
    public record Stage(int planes, int blocks, int stride, double alphaIn, double alphaOut) {}

    /** The official ImageNet OctResNet with the given bottleneck counts per layer. */
    public static OctResNet imagenet(String id, int[] layers, ModelArgs args) {
        return custom(id, 64, layers, new int[] {64, 128, 256, 512}, args);
    }

    /**
     * The official OctResNet layout (7×7/2 stem of {@code stemWidth} channels with max pool; the
     * low-frequency path from layer1 to the first block of layer4) with other stage depths and
     * planes, e.g. the reduced configurations of the parity tests.
     */
    public static OctResNet custom(String id, int stemWidth, int[] layers, int[] planes, ModelArgs args) {
        Checks.require(layers.length == 4 && planes.length == 4, id,
                "4 stage depths and 4 stage planes needed, got " + layers.length + " and " + planes.length);
        double alpha = alpha(args);
        OctResNet net = new OctResNet(id, args.inputChannels());
        ResNetParts.addImagenetStem(net, stemWidth, true);
        Stage[] stages = {
            new Stage(planes[0], layers[0], 1, 0, alpha),
            new Stage(planes[1], layers[1], 2, alpha, alpha),
            new Stage(planes[2], layers[2], 2, alpha, alpha),
            new Stage(planes[3], layers[3], 2, alpha, 0),
        };
        net.addStages(stemWidth, stages, args.zeroInitLastBn());
        ResNetParts.addHead(net, args.numClasses());
        return net;
    }

    /** The small-image variant (see the class comment): [2, 2, 2, 2] bottlenecks, stem width 32. */
    public static OctResNet small(String id, ModelArgs args) {
        double alpha = alpha(args);
        OctResNet net = new OctResNet(id, args.inputChannels());
        ResNetParts.addSmallStem(net, 32);
        Stage[] stages = {
            new Stage(16, 2, 1, 0, alpha),
            new Stage(32, 2, 2, alpha, alpha),
            new Stage(64, 2, 2, alpha, 0),
            new Stage(128, 2, 2, 0, 0),
        };
        net.addStages(32, stages, args.zeroInitLastBn());
        ResNetParts.addHead(net, args.numClasses());
        return net;
    }

    private static double alpha(ModelArgs args) {
        double alpha = args.getDouble("alpha", 0.5);
        if (!(alpha >= 0 && alpha < 1)) {
            throw new IllegalArgumentException("OctResNet: alpha must lie in [0, 1), got " + alpha);
        }
        return alpha;
    }

    /** Adds layer1..layerN as the official {@code _make_layer}. */
    private void addStages(int inplanes, Stage[] stages, boolean zeroInitLastBn) {
        for (int s = 0; s < stages.length; s++) {
            Stage st = stages[s];
            int outPlanes = st.planes() * OctBottleneck.EXPANSION;
            NamedSequential layer = new NamedSequential();
            NamedSequential downsample = null;
            if (st.stride() != 1 || inplanes != outPlanes) {
                downsample = new NamedSequential().add("0", new OctConvBn(OctConv.builder()
                        .setChannels(inplanes, outPlanes).setKernel(1).optStride(st.stride())
                        .optAlpha(st.alphaIn(), st.alphaOut()).build()));
            }
            layer.add("0", new OctBottleneck(inplanes, st.planes(), st.stride(), downsample, 1, 64,
                    st.alphaIn(), st.alphaOut(), zeroInitLastBn));
            inplanes = outPlanes;
            for (int b = 1; b < st.blocks(); b++) {
                // Later blocks keep the stage's output alpha on both sides (0 in an output stage).
                layer.add(Integer.toString(b), new OctBottleneck(inplanes, st.planes(), 1, null, 1, 64,
                        st.alphaOut(), st.alphaOut(), zeroInitLastBn));
            }
            add("layer" + (s + 1), layer);
        }
    }

    /** The variant id, e.g. {@code oct_resnet50}. */
    public String getId() {
        return id;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        requireImage(inputs.getShapes());
        return super.forwardInternal(ps, inputs, training, params);
    }

    @Override
    protected Shape[] trace(Shape[] inputShapes, ChildVisitor visitor) {
        requireImage(inputShapes);
        return super.trace(inputShapes, visitor);
    }

    private void requireImage(Shape[] shapes) {
        Checks.require(shapes.length == 1, id, "expected one image batch (N, C=" + inputChannels + ", H, W), got "
                + shapes.length + " arrays");
        Checks.requireNchw(id, shapes[0], inputChannels);
    }
}
