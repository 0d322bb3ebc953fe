package io.convzoo.zoo.checkpoint;

import java.io.IOException;

/**
 * A checkpoint's pickle names a global that a tensor state_dict never needs (for example
 * {@code os.system}). Nothing from the file was executed: the reader refuses the name on sight.
 */
public class UnsafeCheckpointException extends IOException {

    private static final long serialVersionUID = 1L;

    private final String global;

    public UnsafeCheckpointException(String message, String global) {
        super(message);
        this.global = global;
    }

    /** The refused global as {@code module.name}. */
    public String getGlobal() {
        return global;
    }
}
