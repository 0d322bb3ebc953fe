package io.convzoo.zoo.arch;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import io.convzoo.blocks.Checks;
import io.convzoo.blocks.ChildNames;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.NamedSequential;
import io.convzoo.blocks.Ops;
import io.convzoo.blocks.layers.GlobalAvgPool;
import io.convzoo.blocks.layers.Identity;
import io.convzoo.blocks.layers.MaxPool2d;
import io.convzoo.zoo.ModelArgs;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The ResNet-style skeleton every family configures: a stem, stages {@code layer1..layerN} of the
 * family's residual blocks, and a head ({@code avgpool}, {@code fc}), with the official module names.
 * The network checks its input once, naming the model and the expected (N, C, H, W) shape.
 *
 * <p>As a backbone (timm's {@code features_only}): with the argument {@link #FEATURES_ONLY} the
 * forward returns feature maps instead of logits, those of {@link #OUT_INDICES} (default all): index
 * 0 is the stem's ReLU output, index k the output of {@code layer<k>} ({@link #featureInfo} gives
 * their channels and reductions). The head's parameters stay, unused, so pretrained weights and
 * official checkpoints load as they are. An OctResNet stage that ends with a high- and a
 * low-frequency map gives one map: the high one and the nearest-upsampled low one concatenated
 * along the channels (the stage's full width). With {@code numClasses = 0} there is no {@code fc}
 * and the forward returns the pooled pre-logit features (N, C), as timm's {@code num_classes=0}.
 */
public final class ResNet extends NamedSequential implements ClassifierHead {

    /** How the network starts (children conv1, bn1, relu and a max pool, or the v1b deep stem). */
    public enum Stem {
        /** conv1 7×7 stride 2 pad 3, bn1, relu, maxpool 3×3/2 (torchvision's ResNet). */
        IMAGENET,
        /** As {@link #IMAGENET} without the max pool (PyConvResNet). */
        IMAGENET_NO_POOL,
        /** As {@link #IMAGENET} with the pool named {@code maxpool1} (official Res2NeXt). */
        IMAGENET_MAXPOOL1,
        /** v1b deep stem: conv1 = three 3×3 convs (the first stride 2) with BN/ReLU between, then bn1, relu, maxpool. */
        DEEP,
        /** Small images (28×28 / 32×32): conv1 3×3 stride 1 pad 1, bn1, relu, no pooling. */
        SMALL
    }

    /**
     * The shape of a network.
     *
     * @param stem how it starts
     * @param stemWidth channels out of the stem
     * @param depths residual blocks per stage
     * @param planes planes per stage (block outputs are planes × expansion)
     * @param strides stride of each stage's first block
     * @param expansion output channels per plane of the family's block
     */
    public record Layout(Stem stem, int stemWidth, int[] depths, int[] planes, int[] strides, int expansion) {
        public Layout {
            Checks.require(depths.length == planes.length && depths.length == strides.length, "ResNet",
                    "depths, planes and strides need one entry per stage, got " + Arrays.toString(depths) + ", "
                            + Arrays.toString(planes) + ", " + Arrays.toString(strides));
            depths = depths.clone();
            planes = planes.clone();
            strides = strides.clone();
        }

        /** The ImageNet layout: planes 64/128/256/512, stem width 64, strides 1, 2, 2, 2. */
        public static Layout imagenet(Stem stem, int[] depths, int expansion) {
            return new Layout(stem, 64, depths, new int[] {64, 128, 256, 512}, new int[] {1, 2, 2, 2}, expansion);
        }
    }

    /** The family's residual block {@code index} of stage {@code stage} (0-based). */
    @FunctionalInterface
    public interface BlockFactory {
        Block block(int stage, int index, int inChannels, int planes, int stride);
    }

    /** ModelArgs key: return feature maps instead of logits. */
    public static final String FEATURES_ONLY = "featuresOnly";
    /** ModelArgs key: which feature maps (comma-separated indices, 0 = stem, k = layer k); default all. */
    public static final String OUT_INDICES = "outIndices";
    /** The module whose output is feature 0. */
    private static final String STEM_OUTPUT = "relu";
    /** Spatial size at which {@link #featureInfo} measures reductions. */
    private static final int REFERENCE_SIZE = 224;

    /** One feature map of a features-only network (timm's feature_info entry). */
    public record FeatureInfo(int index, String module, int channels, int reduction) {}

    private final String name;
    private final int inputChannels;
    /** The features the forward returns, or null for the head's output. */
    private int[] outIndices;

    private ResNet(String name, int inputChannels) {
        this.name = name;
        this.inputChannels = inputChannels;
    }

    /**
     * The network {@code id} of {@code family} (the name in error messages is {@code "id (family)"}):
     * stem, stages of {@code blocks}, head with {@code args.numClasses()} outputs.
     */
    public static ResNet build(String id, String family, Layout layout, BlockFactory blocks, ModelArgs args) {
        ResNet net = new ResNet(id + " (" + family + ")", args.inputChannels());
        net.addStem(layout.stem(), layout.stemWidth());
        int inChannels = layout.stemWidth();
        for (int s = 0; s < layout.depths().length; s++) {
            NamedSequential stage = new NamedSequential();
            for (int b = 0; b < layout.depths()[s]; b++) {
                stage.add(Integer.toString(b), blocks.block(s, b, inChannels, layout.planes()[s],
                        b == 0 ? layout.strides()[s] : 1));
                inChannels = layout.planes()[s] * layout.expansion();
            }
            net.add("layer" + (s + 1), stage);
        }
        net.add("avgpool", new GlobalAvgPool());
        net.add("fc", args.numClasses() == 0 ? new Identity() : Linear.builder().setUnits(args.numClasses()).build());
        if (args.getBoolean(FEATURES_ONLY, false)) {
            net.outIndices = outIndices(args.extra().get(OUT_INDICES), layout.depths().length, net.name);
        }
        return net;
    }

    private static int[] outIndices(Object given, int stages, String name) {
        if (given == null || given.toString().isBlank()) {
            return java.util.stream.IntStream.rangeClosed(0, stages).toArray();
        }
        String text = given.toString().replaceAll("[\\[\\]()\\s]", "");
        int[] indices;
        try {
            indices = Arrays.stream(text.split(",")).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + ": " + OUT_INDICES + " must be comma-separated integers, got '"
                    + given + "'", e);
        }
        for (int i : indices) {
            Checks.require(i >= 0 && i <= stages, name, OUT_INDICES + " must lie in 0.." + stages
                    + " (0 = stem, k = layer k), got " + Arrays.toString(indices));
        }
        Checks.require(Arrays.stream(indices).distinct().count() == indices.length, name,
                OUT_INDICES + " must not repeat an index, got " + Arrays.toString(indices));
        return indices;
    }

    /** Whether the forward returns feature maps ({@link #FEATURES_ONLY}). */
    public boolean isFeaturesOnly() {
        return outIndices != null;
    }

    /**
     * The feature maps a features-only network returns, in order: index, module, channels and
     * reduction (input size over map size).
     */
    public List<FeatureInfo> featureInfo() {
        Checks.require(outIndices != null, name, "featureInfo needs the " + FEATURES_ONLY + " argument");
        Shape[] shapes = getOutputShapes(new Shape[] {new Shape(1, inputChannels, REFERENCE_SIZE, REFERENCE_SIZE)});
        List<FeatureInfo> out = new ArrayList<>();
        for (int k = 0; k < outIndices.length; k++) {
            int index = outIndices[k];
            out.add(new FeatureInfo(index, index == 0 ? STEM_OUTPUT : "layer" + index, (int) shapes[k].get(1),
                    (int) Math.round((double) REFERENCE_SIZE / shapes[k].get(2))));
        }
        return out;
    }

    /**
     * Drops the classifier (timm's {@code reset_classifier(0)}): the forward then returns the pooled
     * pre-logit features (N, C). Used on a model loaded with its weights, for embeddings.
     */
    @Override
    public void removeClassifier() {
        replaceChild("fc", new Identity());
    }

    private void addStem(Stem stem, int width) {
        switch (stem) {
            case SMALL -> {
                add("conv1", Layers.conv(width, 3, 1, 1, 1, 1, false));
                add("bn1", Layers.batchNorm());
                add("relu", Layers.relu());
            }
            case DEEP -> {
                int half = width / 2;
                add("conv1", new NamedSequential()
                        .add("0", Layers.conv(half, 3, 2, 1, 1, 1, false))
                        .add("1", Layers.batchNorm())
                        .add("2", Layers.relu())
                        .add("3", Layers.conv(half, 3, 1, 1, 1, 1, false))
                        .add("4", Layers.batchNorm())
                        .add("5", Layers.relu())
                        .add("6", Layers.conv(width, 3, 1, 1, 1, 1, false)));
                add("bn1", Layers.batchNorm());
                add("relu", Layers.relu());
                add("maxpool", new MaxPool2d(3, 2, 1));
            }
            default -> {
                add("conv1", Layers.conv(width, 7, 2, 3, 1, 1, false));
                add("bn1", Layers.batchNorm());
                add("relu", Layers.relu());
                if (stem == Stem.IMAGENET) {
                    add("maxpool", new MaxPool2d(3, 2, 1));
                } else if (stem == Stem.IMAGENET_MAXPOOL1) {
                    add("maxpool1", new MaxPool2d(3, 2, 1));
                }
            }
        }
    }

    /** Input channels the network expects. */
    public int getInputChannels() {
        return inputChannels;
    }

    @Override
    public <T> List<T> forward(Ops<T> ops, List<T> inputs) {
        Checks.requireOneNchw(ops, inputs, name, inputChannels);
        if (outIndices == null) {
            return super.forward(ops, inputs);
        }
        int[] childOf = new int[outIndices.length];
        int last = 0;
        for (int k = 0; k < outIndices.length; k++) {
            childOf[k] = childIndex(outIndices[k] == 0 ? STEM_OUTPUT : "layer" + outIndices[k]);
            last = Math.max(last, childOf[k]);
        }
        List<T> features = new ArrayList<>(java.util.Collections.nCopies(outIndices.length, null));
        forwardThrough(ops, inputs, last, (child, values) -> {
            for (int k = 0; k < childOf.length; k++) {
                if (childOf[k] == child) {
                    features.set(k, featureMap(ops, values));
                }
            }
        });
        return features;
    }

    /** A features-only network initializes its head too, so that weights load with it as they are. */
    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        int[] features = outIndices;
        outIndices = null;
        try {
            super.initializeChildBlocks(manager, dataType, inputShapes);
        } finally {
            outIndices = features;
        }
    }

    /** A stage output as one map; the values go on to the next stage, so they are shared, not consumed. */
    private static <T> T featureMap(Ops<T> ops, List<T> values) {
        if (values.size() == 1) {
            return ops.share(values.get(0));
        }
        T high = ops.share(values.get(0));
        T low = ops.share(values.get(1));
        return ops.cat(List.of(high, ops.upsampleNearest2x(low)), 1);
    }

    private int childIndex(String module) {
        for (int i = 0; i < children.size(); i++) {
            if (ChildNames.name(children.keyAt(i), i).equals(module)) {
                return i;
            }
        }
        throw new IllegalStateException(name + ": no module " + module);
    }

    @Override
    public String toString() {
        return name;
    }
}
