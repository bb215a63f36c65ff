package dev.sluice.data.format;

/** A shard's field table disagrees with the manifest schema (type, shape, compression, counts). */
public final class ShapeMismatchException extends FormatException {
    private static final long serialVersionUID = 1L;

    public ShapeMismatchException(String message) {
        super(message);
    }

    public ShapeMismatchException(String message, Throwable cause) {
        super(message, cause);
    }
}
