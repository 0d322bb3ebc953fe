package io.convzoo.zoo.arch.hetconv;

import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import io.convzoo.blocks.Checks;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.NamedSequential;
import io.convzoo.blocks.hetconv.HetConv;
import io.convzoo.blocks.layers.GlobalAvgPool;
import io.convzoo.blocks.layers.Identity;
import io.convzoo.blocks.layers.MaxPool2d;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.arch.ResNet;
import io.convzoo.zoo.arch.SequentialClassifier;
import java.util.List;

/**
 * VGG-16 for 32×32 images (CIFAR-10), the network of the HetConv paper's VGG-16 experiments: thirteen
 * 3×3 convs, each with BatchNorm and ReLU, widths 64, 64, M, 128, 128, M, 256 ×3, M, 512 ×3, M, 512 ×3,
 * M (M: 2×2 max pool), then a classifier Linear(512, 512), ReLU, Linear(512, classes) — the
 * 15.0 M-parameter, 313 M-MAC CIFAR VGG-16 of the pruning literature the paper compares with. Every
 * conv but the first is a {@link HetConv} of part P; the first sees the 3 image channels, which no
 * P ≥ 2 divides, and stays a standard conv. Dropout is left out (an eval-time identity).
 *
 * <p>Children: {@code features} (indices as torchvision's VGG: conv, BN, ReLU triples and the pools)
 * and {@code classifier} ({@code 0} Linear, {@code 1} ReLU, {@code 2} Linear), with a global average
 * pool between them ({@code avgpool}: the identity on the 1×1 map of a 32×32 input). With
 * {@code numClasses = 0} there is no classifier and the forward returns the pooled 512 features.
 */
public final class HetVgg extends SequentialClassifier {

    /** Pool marker in a layer configuration. */
    public static final int POOL = 0;
    /** VGG-16's configuration ("D"). */
    public static final List<Integer> VGG16 = List.of(64, 64, POOL, 128, 128, POOL, 256, 256, 256, POOL,
            512, 512, 512, POOL, 512, 512, 512, POOL);

    private HetVgg(String name, int inputChannels) {
        super(name, inputChannels);
    }

    /**
     * The VGG of {@code config} (widths, {@link #POOL} for a max pool) with HetConv of part
     * {@code part} after the first conv ({@code part = 1}: every conv a plain 3×3 conv).
     */
    public static HetVgg build(String id, List<Integer> config, int part, ModelArgs args) {
        Checks.require(args.numClasses() >= 0, id, "numClasses must be >= 0, got " + args.numClasses());
        Checks.require(!args.getBoolean(ResNet.FEATURES_ONLY, false), id, ResNet.FEATURES_ONLY
                + " is for the ResNet backbones; use numClasses=0 for VGG's pooled features");
        HetVgg net = new HetVgg(id + " (HetConv VGG)", args.inputChannels());
        NamedSequential features = new NamedSequential();
        int in = args.inputChannels();
        int index = 0;
        int width = in;
        for (int c : config) {
            if (c == POOL) {
                features.add(Integer.toString(index++), new MaxPool2d(2, 2, 0));
                continue;
            }
            Block conv = index == 0 ? Layers.conv3x3(c, 1, 1) : new HetConv(width, c, part, 1, false);
            features.add(Integer.toString(index++), conv);
            features.add(Integer.toString(index++), Layers.batchNorm());
            features.add(Integer.toString(index++), Layers.relu());
            width = c;
        }
        net.add("features", features);
        net.add("avgpool", new GlobalAvgPool());
        net.add("classifier", args.numClasses() == 0 ? new Identity() : new NamedSequential()
                .add("0", Linear.builder().setUnits(width).build())
                .add("1", Layers.relu())
                .add("2", Linear.builder().setUnits(args.numClasses()).build()));
        return net;
    }
}
