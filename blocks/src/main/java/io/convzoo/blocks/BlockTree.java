package io.convzoo.blocks;

import ai.djl.nn.Block;
import java.util.ArrayList;
import java.util.List;

/** Walks a block tree. */
public final class BlockTree {

    private BlockTree() {}

    /** Every block under {@code root} (root included) that is a {@code type}, depth first. */
    public static <T> List<T> findAll(Block root, Class<T> type) {
        List<T> found = new ArrayList<>();
        collect(root, type, found);
        return found;
    }

    private static <T> void collect(Block block, Class<T> type, List<T> found) {
        if (type.isInstance(block)) {
            found.add(type.cast(block));
        }
        for (Block child : block.getChildren().values()) {
            collect(child, type, found);
        }
    }
}
