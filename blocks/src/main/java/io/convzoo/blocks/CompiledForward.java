package io.convzoo.blocks;

import ai.djl.ndarray.NDList;
import java.util.function.Supplier;

/**
 * An eval forward of a model's root that runs compiled instead of block by block (the scripted
 * forward); set with {@link DataflowBlock#setCompiledForward}. Training forwards always run block by
 * block and make it stale.
 */
public interface CompiledForward {

    /** The eval forward of {@code inputs}; {@code blockByBlock} computes it block by block. */
    NDList forward(NDList inputs, Supplier<NDList> blockByBlock);

    /** Drops what was compiled: the next eval forward compiles again. */
    void invalidate();

    /**
     * Whether a batch should reach it laid out channels-last where that pays
     * ({@link io.convzoo.blocks.infer.ChannelsLast#pays}): libtorch's forms run faster so. False for a form
     * that lays out its input itself (ONNX Runtime reads NCHW: a channels-last batch cost it two copies).
     */
    default boolean wantsChannelsLastBatches() {
        return true;
    }
}
