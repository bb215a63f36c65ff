package dev.sluice.data.ingest;

import java.io.IOException;

/**
 * One unit of a source in its deterministic order (an image file, a WebDataset sample, a JSON line,
 * a token sequence). Listing an input is cheap; {@link #read} does the I/O and validation and runs
 * on a worker thread, so it must not touch shared mutable state.
 */
public interface Input {

    /** Where the input is, for messages: a path, {@code file:line}, or {@code tar:member}. */
    String where();

    /**
     * Reads and validates the input.
     *
     * @throws UnreadableInputException if the input is bad but may be skipped (counted)
     * @throws IOException if the input is bad and the ingest must stop
     */
    Sample read() throws IOException;
}
