package dev.sluice.data.ingest;

/**
 * The ingest was asked for something it cannot do as asked: an unknown source kind, a missing or
 * wrong option, a source path that does not exist, a split the dataset already has. It is found
 * before any input is read or anything is written, so a command line tool reports it as a usage
 * error; the message says what to pass instead.
 */
public final class IngestUsageException extends InputException {
    private static final long serialVersionUID = 1L;

    public IngestUsageException(String message) {
        super(message);
    }

    public IngestUsageException(String message, Throwable cause) {
        super(message, cause);
    }
}
