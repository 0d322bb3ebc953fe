package io.convzoo.zoo.checkpoint;

import java.io.IOException;

/** A checkpoint file is truncated, malformed or declares sizes it does not hold. */
public class CorruptCheckpointException extends IOException {

    private static final long serialVersionUID = 1L;

    public CorruptCheckpointException(String message) {
        super(message);
    }

    public CorruptCheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
