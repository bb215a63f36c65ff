package dev.sluice.data.format;

import java.io.IOException;

/**
 * A dataset does not follow the Sluice format: the message names the manifest or shard, what is
 * wrong, and what to do. Subclasses tell the kinds apart.
 */
public class FormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public FormatException(String message) {
        super(message);
    }

    public FormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
