package dev.sluice.engine.checkpoint;

import java.io.IOException;

/** A checkpoint is damaged, missing, or belongs to another configuration; the message says which and what to do. */
public final class CheckpointException extends IOException {
    private static final long serialVersionUID = 1L;

    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
