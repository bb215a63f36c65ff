package dev.sluice.data.ingest;

/**
 * One input (an image file) is not what it should be; an importer that allows it skips the input
 * and counts it instead of failing, unless the ingest is strict.
 */
public final class UnreadableInputException extends InputException {
    private static final long serialVersionUID = 1L;

    public UnreadableInputException(String message) {
        super(message);
    }

    public UnreadableInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
