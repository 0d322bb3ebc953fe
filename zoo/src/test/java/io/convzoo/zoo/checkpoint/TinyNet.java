package io.convzoo.zoo.checkpoint;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.nn.BlockFactory;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.NamedSequential;
import java.nio.file.Path;
import java.util.Map;

/**
 * The TinyNet of tools/make_checkpoint_fixtures.py composed from zoo layers with the official
 * names: features.0 conv, features.1 bn, features.2 relu, conv2 (bias), bn2, relu, average pool,
 * fc. Also a DJL BlockFactory so serving.properties can name it.
 */
public class TinyNet implements BlockFactory {

    private static final long serialVersionUID = 1L;

    /** The block with the given names for the first stage and the conv after it. */
    static NamedSequential build(String featuresName, String conv2Name, int conv2Channels, int classes) {
        return new NamedSequential()
                .add(featuresName, new NamedSequential()
                        .add("0", Layers.conv(4, 3, 1, 1, 1, 1, false))
                        .add("1", Layers.batchNorm())
                        .add("2", Layers.relu()))
                .add(conv2Name, Layers.conv(conv2Channels, 3, 2, 1, 1, 1, true))
                .add("bn2", Layers.batchNorm())
                .add("relu", Layers.relu())
                .add("pool", new LambdaBlock(x -> new NDList(Pool.globalAvgPool2d(x.head())), "pool"))
                .add("fc", Linear.builder().setUnits(classes).build());
    }

    static NamedSequential build() {
        return build("features", "conv2", 6, 5);
    }

    @Override
    public Block newBlock(Model model, Path modelPath, Map<String, ?> arguments) {
        return build();
    }
}
