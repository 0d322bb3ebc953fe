package io.convzoo.zoo.arch.dla;

import io.convzoo.blocks.Checks;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.NamedSequential;
import io.convzoo.blocks.Ops;
import io.convzoo.blocks.layers.AvgPool;
import io.convzoo.blocks.res2net.Res2NetBottleneck;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.arch.CheckedNetwork;
import java.util.Arrays;
import java.util.List;

/**
 * Deep Layer Aggregation with Res2Net blocks as in Res2Net-PretrainedModels ({@code dla.py}), module for
 * module under the official names: {@code base_layer} (7×7/1 conv, BN, ReLU), {@code level0},
 * {@code level1} (3×3 conv + BN + ReLU levels, the second strided), {@code level2..level5}
 * ({@link DlaTree}s of stride 2, level3..5 level roots), {@code avgpool} (the official
 * {@code AvgPool2d(poolSize)}, 7: global at 224×224) and {@code fc} (a 1×1 conv with bias); the forward
 * flattens its output, as the official {@code view(N, -1)}.
 */
public final class Dla extends CheckedNetwork {

    /** ModelArgs key: the official {@code pool_size} of the final average pool (default 7). */
    public static final String POOL_SIZE = "poolSize";
    private static final int DEFAULT_POOL_SIZE = 7;

    /** The tree block: Res2Net's ({@code Bottle2neck}, 28w×4s) or Res2NeXt's ({@code Bottle2neckX}, 8 groups). */
    public enum BlockType {
        RES2NET,
        RES2NEXT
    }

    /**
     * One architecture.
     *
     * @param levels convs of level0 and level1, then tree levels of level2..level5
     * @param channels output channels of base_layer/level0, level1, ..., level5
     * @param block the trees' block
     */
    public record Config(int[] levels, int[] channels, BlockType block) {
        public Config {
            Checks.require(levels.length == 6 && channels.length == 6, "DLA",
                    "levels and channels need 6 entries, got " + Arrays.toString(levels) + " and "
                            + Arrays.toString(channels));
            levels = levels.clone();
            channels = channels.clone();
        }

        /** DLA-60: levels 1,1,1,2,3,1, channels 16,32,128,256,512,1024. */
        public static Config dla60(BlockType block) {
            return new Config(new int[] {1, 1, 1, 2, 3, 1}, new int[] {16, 32, 128, 256, 512, 1024}, block);
        }
    }

    private Dla(String name, int inputChannels) {
        super(name, inputChannels);
    }

    /** Builds the network {@code id} of {@code config} with {@code args.numClasses()} outputs. */
    public static Dla build(String id, Config config, ModelArgs args) {
        Checks.require(args.numClasses() >= 1, id, "numClasses must be >= 1 (the DLA head has no pooled-feature form), got "
                + args.numClasses());
        int poolSize = args.getInt(POOL_SIZE, DEFAULT_POOL_SIZE);
        Checks.require(poolSize >= 1, id, POOL_SIZE + " must be >= 1, got " + poolSize);
        int[] ch = config.channels();
        int[] lv = config.levels();
        Dla net = new Dla(id + " (DLA)", args.inputChannels());
        net.add("base_layer", new NamedSequential()
                .add("0", Layers.conv(ch[0], 7, 1, 3, 1, 1, false))
                .add("1", Layers.batchNorm())
                .add("2", Layers.relu()));
        net.add("level0", convLevel(ch[0], lv[0], 1));
        net.add("level1", convLevel(ch[1], lv[1], 2));
        DlaTree.BlockFactory block = (in, out, stride) -> block(config.block(), in, out, stride);
        for (int level = 2; level < 6; level++) {
            net.add("level" + level, new DlaTree(lv[level], block, ch[level - 1], ch[level], 2, level > 2, 0));
        }
        net.add("avgpool", new AvgPool(poolSize, poolSize, 0, false, true));
        net.add("fc", Layers.conv(args.numClasses(), 1, 1, 0, 1, 1, true));
        return net;
    }

    private static Res2NetBottleneck block(BlockType type, int in, int out, int stride) {
        Res2NetBottleneck.Builder b = Res2NetBottleneck.builder().inChannels(in).planes(out).stride(stride).scale(4);
        // dla.py: Bottle2neck width floor(planes * 28 / 128); Bottle2neckX planes * 8 // 32 in 8 groups.
        return type == BlockType.RES2NET ? b.dla(out * 28 / 128).build() : b.dla(out * 8 / 32).cardinality(8).build();
    }

    /** {@code _make_conv_level}: {@code convs} × (3×3 conv, BN, ReLU), the first with {@code stride}. */
    private static NamedSequential convLevel(int channels, int convs, int stride) {
        NamedSequential level = new NamedSequential();
        for (int i = 0; i < convs; i++) {
            level.add(Integer.toString(3 * i), Layers.conv(channels, 3, i == 0 ? stride : 1, 1, 1, 1, false))
                    .add(Integer.toString(3 * i + 1), Layers.batchNorm())
                    .add(Integer.toString(3 * i + 2), Layers.relu());
        }
        return level;
    }

    @Override
    public <T> List<T> forward(Ops<T> ops, List<T> inputs) {
        return List.of(ops.flatten(super.forward(ops, inputs).get(0), 1));
    }
}
