package dev.sluice.spark;

import java.io.IOException;

/**
 * A Spark write did not commit: no manifest was written. The message says why, and which shards of the
 * job could not be removed, if any (they are not named by any manifest, so readers never see them).
 */
public final class SparkWriteException extends IOException {

    private static final long serialVersionUID = 1L;

    public SparkWriteException(String message, Throwable cause) {
        super(message, cause);
    }
}
