package io.convzoo.zoo.arch.octconv;

import ai.djl.nn.core.Linear;
import io.convzoo.blocks.Checks;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.NamedSequential;
import io.convzoo.blocks.layers.GlobalAvgPool;
import io.convzoo.blocks.octconv.OctConv;
import io.convzoo.blocks.octconv.OctConvBnAct;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.arch.CheckedNetwork;

/**
 * Octave MobileNet V1 as in d-li14/octconv.pytorch ({@code oct_mobilenet.py}), under the official names:
 * {@code features.0} a 3×3/2 conv + BN + ReLU to 32 channels, {@code features.1..13} depthwise-separable
 * pairs ({@code conv_dw}: a depthwise 3×3 {@code Conv_BN_ACT} {@code .0}, then a 1×1 one {@code .1}), with
 * octave alphas 0→0.5 in the first pair, 0.5 through the middle, 0.5→0 in the twelfth and 0 in the last
 * two; {@code avgpool} over the high-frequency map (the only one left), {@code fc}.
 */
public final class OctMobileNet extends CheckedNetwork {

    /** {@code conv_dw(in, out, stride, alpha_in, alpha_out)} of the official feature list, after the stem. */
    private static final double[][] DEPTHWISE_SEPARABLE = {
        {32, 64, 1, 0, 0.5},
        {64, 128, 2, 0.5, 0.5},
        {128, 128, 1, 0.5, 0.5},
        {128, 256, 2, 0.5, 0.5},
        {256, 256, 1, 0.5, 0.5},
        {256, 512, 2, 0.5, 0.5},
        {512, 512, 1, 0.5, 0.5},
        {512, 512, 1, 0.5, 0.5},
        {512, 512, 1, 0.5, 0.5},
        {512, 512, 1, 0.5, 0.5},
        {512, 512, 1, 0.5, 0},
        {512, 1024, 2, 0, 0},
        {1024, 1024, 1, 0, 0},
    };
    private static final int STEM = 32;

    private OctMobileNet(String name, int inputChannels) {
        super(name, inputChannels);
    }

    /**
     * The official network with every channel count divided by {@code widthDivisor} (1 for
     * {@code oct_mobilenet}; more only for small test configurations).
     */
    public static OctMobileNet build(String id, int widthDivisor, ModelArgs args) {
        Checks.require(widthDivisor >= 1 && STEM % widthDivisor == 0, id, "widthDivisor must divide 32, got "
                + widthDivisor);
        Checks.require(args.numClasses() >= 1, id, "numClasses must be >= 1, got " + args.numClasses());
        OctMobileNet net = new OctMobileNet(id + " (OctMobileNet)", args.inputChannels());
        NamedSequential features = new NamedSequential();
        features.add("0", new NamedSequential()
                .add("0", Layers.conv(STEM / widthDivisor, 3, 2, 1, 1, 1, false))
                .add("1", Layers.batchNorm())
                .add("2", Layers.relu()));
        for (int i = 0; i < DEPTHWISE_SEPARABLE.length; i++) {
            double[] row = DEPTHWISE_SEPARABLE[i];
            features.add(Integer.toString(i + 1), depthwiseSeparable((int) row[0] / widthDivisor,
                    (int) row[1] / widthDivisor, (int) row[2], row[3], row[4]));
        }
        net.add("features", features);
        net.add("avgpool", new GlobalAvgPool());
        net.add("fc", Linear.builder().setUnits(args.numClasses()).build());
        return net;
    }

    /** {@code conv_dw}: the depthwise conv keeps alpha_in (the official rule when the alphas differ). */
    private static NamedSequential depthwiseSeparable(int in, int out, int stride, double alphaIn, double alphaOut) {
        return new NamedSequential()
                .add("0", new OctConvBnAct(OctConv.builder().setChannels(in, in).setKernel(3).optStride(stride)
                        .optPadding(1).optGroups(in).optAlpha(alphaIn, alphaIn).build()))
                .add("1", new OctConvBnAct(OctConv.builder().setChannels(in, out).setKernel(1)
                        .optAlpha(alphaIn, alphaOut).build()));
    }
}
