package dev.sluice.data.ingest;

import java.io.IOException;

/** An IDX input file (MNIST family) is malformed: the message names the file and the problem. */
public final class IdxFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public IdxFormatException(String message) {
        super(message);
    }
}
