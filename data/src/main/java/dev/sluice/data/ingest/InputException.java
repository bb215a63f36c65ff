package dev.sluice.data.ingest;

import java.io.IOException;

/**
 * Source data cannot be imported: the message names the file and the line, tar member or byte
 * offset, what is wrong, and what to do.
 */
public class InputException extends IOException {
    private static final long serialVersionUID = 1L;

    public InputException(String message) {
        super(message);
    }

    public InputException(String message, Throwable cause) {
        super(message, cause);
    }
}
