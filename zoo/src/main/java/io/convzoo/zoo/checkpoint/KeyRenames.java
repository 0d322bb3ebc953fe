package io.convzoo.zoo.checkpoint;

import java.util.function.UnaryOperator;

/**
 * The hook for families whose DJL parameter names cannot equal the official state_dict keys: a
 * function from checkpoint key to the block's key (null drops the key). Every family so far names
 * its children after the official modules, so all are the identity.
 */
public final class KeyRenames {

    private KeyRenames() {}

    /** The rename of a family (see ModelSpec.family()). */
    public static UnaryOperator<String> of(String family) {
        return switch (family == null ? "" : family) {
            // case "octconv" -> key -> ...;   add a family here if its names must differ
            default -> UnaryOperator.identity();
        };
    }
}
