package io.convzoo.blocks;

import ai.djl.nn.Block;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import java.util.Locale;

/**
 * The one place that knows how DJL names children: {@code AbstractBlock.addChildBlock} stores child
 * {@code i} (0-based) under {@code String.format("%02d%s", i + 1, name)}, so the prefix is two digits up
 * to the 99th child and longer after it.
 */
public final class ChildNames {

    private ChildNames() {}

    /** The name child {@code index} (0-based) was added under, from its key. */
    public static String name(String key, int index) {
        String prefix = String.format(Locale.ROOT, "%02d", index + 1);
        if (!key.startsWith(prefix)) {
            throw new IllegalStateException("child key '" + key + "' at position " + index + " lacks DJL's prefix "
                    + prefix);
        }
        return key.substring(prefix.length());
    }

    /** The name of the child at {@code index} of {@code parent}. */
    public static String name(Block parent, int index) {
        return name(parent.getChildren().keyAt(index), index);
    }

    /** The name {@code child} has under {@code parent} (by identity), or null when it is not a direct child. */
    public static String nameOf(Block parent, Block child) {
        PairList<String, Block> children = parent.getChildren();
        for (int i = 0; i < children.size(); i++) {
            if (children.valueAt(i) == child) {
                return name(children.keyAt(i), i);
            }
        }
        return null;
    }

    /**
     * The dotted path of {@code descendant} below {@code parent} ({@code convs.0} for a member of a
     * container child), or null when it is not below it.
     */
    public static String pathOf(Block parent, Block descendant) {
        String direct = nameOf(parent, descendant);
        if (direct != null) {
            return direct;
        }
        PairList<String, Block> children = parent.getChildren();
        for (int i = 0; i < children.size(); i++) {
            Pair<String, Block> child = children.get(i);
            if (child.getValue() instanceof DataflowBlock) {
                continue; // a block with a forward of its own reports its children itself
            }
            String below = pathOf(child.getValue(), descendant);
            if (below != null) {
                return name(child.getKey(), i) + "." + below;
            }
        }
        return null;
    }
}
