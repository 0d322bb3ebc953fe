package io.convzoo.zoo.arch.dyconv;

import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.initializer.NormalInitializer;
import io.convzoo.blocks.Checks;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.NamedSequential;
import io.convzoo.blocks.Ops;
import io.convzoo.blocks.dynamic.DynamicConv2d;
import io.convzoo.blocks.layers.AdaptiveAvgPool2d;
import io.convzoo.blocks.layers.Identity;
import io.convzoo.blocks.layers.MaxPool2d;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.arch.SequentialClassifier;
import io.convzoo.zoo.arch.ResNet;
import java.util.Arrays;

/**
 * DY-VGGs as in the official dynamic-convolution code ({@code dynamic_models/dy_vgg.py} of
 * kaijieshi7/Dynamic-convolution-Pytorch): torchvision's VGG configurations A, B, D, E (11, 13, 16,
 * 19 layers) whose every 3×3 conv is a {@link DynamicConv2d} without bias (K = 4, attention ratio
 * 0.25, temperature 34; the first conv's attention, on 3 input channels, has K hidden units),
 * optionally followed by a BatchNorm ({@code _bn}), then a ReLU; a 2×2/2 max pool after each block.
 * The head differs from torchvision's: {@code avgpool} is an adaptive average pool to 7×7 and
 * {@code classifier} is one Linear(last width × 49, classes), no hidden layers or dropout.
 *
 * <p>Children are named as the official modules ({@code features.<i>}, {@code avgpool},
 * {@code classifier.0}; {@code avgpool} also does the official forward's {@code torch.flatten}), so official
 * state_dicts load as they are. The five pools need inputs of at
 * least 32×32 (the official code trains on 32×32 CIFAR images, whose 1×1 feature map the adaptive
 * pool repeats to 7×7). Arguments: {@code kernels}, {@code temperature} as {@link DyResNet};
 * {@code numClasses = 0} drops the classifier (the forward returns the flattened 7×7 pooled features).
 */
public final class DyVgg extends SequentialClassifier {

    /** A max pool in a configuration. */
    public static final int POOL = 0;
    /** Output size of the official adaptive pool. */
    static final int POOLED = 7;

    /** The official configurations (cfgs A, B, D, E); {@link #POOL} marks a 2×2 max pool. */
    public enum Config {
        A(64, POOL, 128, POOL, 256, 256, POOL, 512, 512, POOL, 512, 512, POOL),
        B(64, 64, POOL, 128, 128, POOL, 256, 256, POOL, 512, 512, POOL, 512, 512, POOL),
        D(64, 64, POOL, 128, 128, POOL, 256, 256, 256, POOL, 512, 512, 512, POOL, 512, 512, 512, POOL),
        E(64, 64, POOL, 128, 128, POOL, 256, 256, 256, 256, POOL, 512, 512, 512, 512, POOL, 512, 512, 512, 512, POOL);

        private final int[] layers;

        Config(int... layers) {
            this.layers = layers;
        }

        /** Conv widths, with {@link #POOL} for each max pool. */
        public int[] layers() {
            return layers.clone();
        }
    }

    private final int pools;

    private DyVgg(String name, int[] layers, boolean batchNorm, ModelArgs args) {
        super(name, args.inputChannels());
        if (args.getBoolean(ResNet.FEATURES_ONLY, false)) {
            throw new IllegalArgumentException(name + ": " + ResNet.FEATURES_ONLY + " is not supported by a VGG (it has"
                    + " no stages); use numClasses=0 for the pooled features");
        }
        int kernels = DyResNet.kernels(name, args);
        NamedSequential body = new NamedSequential();
        int in = args.inputChannels();
        int index = 0;
        int poolCount = 0;
        int convCount = 0;
        for (int width : layers) {
            if (width == POOL) {
                body.add(Integer.toString(index++), new MaxPool2d(2, 2, 0));
                poolCount++;
                continue;
            }
            Checks.require(width > 0, name, "conv widths must be positive, got " + Arrays.toString(layers));
            body.add(Integer.toString(index++), DynamicConv2d.builder().setInChannels(in).setOutChannels(width)
                    .setKernelSize(3).optPadding(1).optBias(false).optKernels(kernels).build());
            if (batchNorm) {
                body.add(Integer.toString(index++), Layers.batchNorm());
            }
            body.add(Integer.toString(index++), Layers.relu());
            in = width;
            convCount++;
        }
        Checks.require(convCount > 0, name, "a VGG needs at least one conv, got " + Arrays.toString(layers));
        this.pools = poolCount;
        add("features", body);
        add("avgpool", AdaptiveAvgPool2d.flattened(POOLED, POOLED));
        add("classifier", classifier(args.numClasses()));
        DyResNet.applyTemperature(name, this, args);
    }

    /** The official head, {@code classifier.0}: Linear with weight ~ N(0, 0.01) and zero bias (VGG's init). */
    private static Block classifier(int numClasses) {
        if (numClasses == 0) {
            return new Identity();
        }
        Linear fc = Linear.builder().setUnits(numClasses).build();
        fc.getParameters().get("weight").setInitializer(new NormalInitializer(0.01f));
        return new NamedSequential().add("0", fc);
    }

    /** Official {@code vgg11} .. {@code vgg19_bn} of dy_vgg.py: configuration {@code config}, with BatchNorm or not. */
    public static DyVgg of(String id, Config config, boolean batchNorm, ModelArgs args) {
        return new DyVgg(id, config.layers, batchNorm, args);
    }

    /**
     * The official VGG class on another list of layers (conv widths, {@link #POOL} for a max pool),
     * e.g. the reduced configurations of the parity tests; the classifier takes the last width × 49.
     */
    public static DyVgg custom(String id, int[] layers, boolean batchNorm, ModelArgs args) {
        return new DyVgg(id, layers.clone(), batchNorm, args);
    }

    /** The official forward's size condition: each 2×2 max pool needs a map of at least 2×2. */
    @Override
    protected <T> void checkInput(Ops<T> ops, T input) {
        long min = 1L << pools;
        ops.require(input, s -> Checks.require(s.get(2) >= min && s.get(3) >= min, toString(),
                "expected an input of shape (N, C=" + getInputChannels() + ", H, W) with H, W >= " + min + " ("
                        + pools + " 2×2 max pools), got " + s));
    }
}
