package io.convzoo.zoo.arch.octconv;

import io.convzoo.blocks.Checks;
import io.convzoo.blocks.NamedSequential;
import io.convzoo.blocks.octconv.OctConv;
import io.convzoo.blocks.octconv.OctConvBn;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.arch.ResNet;

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
public final class OctResNet {

    private static final String NAME = "OctResNet";

    private OctResNet() {}

    /** The low-frequency fraction of each stage's input and output ({@code alphaOut = 0}: high-frequency only). */
    private record StageAlphas(double[] in, double[] out) {}

    /** The official ImageNet OctResNet with the given bottleneck counts per layer. */
    public static ResNet imagenet(String id, int[] layers, ModelArgs args) {
        return custom(id, 64, layers, new int[] {64, 128, 256, 512}, args);
    }

    /**
     * The official OctResNet layout (7×7/2 stem of {@code stemWidth} channels with max pool; the
     * low-frequency path from layer1 to the first block of layer4) with other stage depths and
     * planes, e.g. the reduced configurations of the parity tests.
     */
    public static ResNet custom(String id, int stemWidth, int[] layers, int[] planes, ModelArgs args) {
        Checks.require(layers.length == 4 && planes.length == 4, id,
                "4 stage depths and 4 stage planes needed, got " + layers.length + " and " + planes.length);
        double alpha = alpha(args);
        return build(id, new ResNet.Layout(ResNet.Stem.IMAGENET, stemWidth, layers, planes, new int[] {1, 2, 2, 2},
                OctBottleneck.EXPANSION), new StageAlphas(new double[] {0, alpha, alpha, alpha},
                new double[] {alpha, alpha, alpha, 0}), args);
    }

    /** The small-image variant (see the class comment): [2, 2, 2, 2] bottlenecks, stem width 32. */
    public static ResNet small(String id, ModelArgs args) {
        double alpha = alpha(args);
        return build(id, new ResNet.Layout(ResNet.Stem.SMALL, 32, new int[] {2, 2, 2, 2}, new int[] {16, 32, 64, 128},
                new int[] {1, 2, 2, 2}, OctBottleneck.EXPANSION), new StageAlphas(new double[] {0, alpha, alpha, 0},
                new double[] {alpha, alpha, 0, 0}), args);
    }

    private static double alpha(ModelArgs args) {
        double alpha = args.getDouble("alpha", 0.5);
        if (!(alpha >= 0 && alpha < 1)) {
            throw new IllegalArgumentException("OctResNet: alpha must lie in [0, 1), got " + alpha);
        }
        return alpha;
    }

    /**
     * The official {@code _make_layer}: a stage's first block goes from the stage's input alpha to its
     * output alpha, with an OctConv-BN downsample when the stride or the width changes; later blocks keep
     * the output alpha on both sides (0 in an output stage).
     */
    private static ResNet build(String id, ResNet.Layout layout, StageAlphas alphas, ModelArgs args) {
        return ResNet.build(id, NAME, layout, (stage, index, in, planes, stride) -> {
            double alphaIn = index == 0 ? alphas.in()[stage] : alphas.out()[stage];
            double alphaOut = alphas.out()[stage];
            int out = planes * OctBottleneck.EXPANSION;
            NamedSequential downsample = null;
            if (stride != 1 || in != out) {
                downsample = new NamedSequential().add("0", new OctConvBn(OctConv.builder().setChannels(in, out)
                        .setKernel(1).optStride(stride).optAlpha(alphaIn, alphaOut).build()));
            }
            return new OctBottleneck(in, planes, stride, downsample, 1, 64, alphaIn, alphaOut, args.zeroInitLastBn());
        }, args);
    }
}
