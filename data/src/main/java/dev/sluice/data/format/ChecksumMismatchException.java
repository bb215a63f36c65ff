package dev.sluice.data.format;

/** A shard's or header's CRC32C does not match the recorded value. */
public final class ChecksumMismatchException extends FormatException {
    private static final long serialVersionUID = 1L;

    public ChecksumMismatchException(String message) {
        super(message);
    }

    public ChecksumMismatchException(String message, Throwable cause) {
        super(message, cause);
    }
}
