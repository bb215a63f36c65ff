package dev.sluice.data.format;

/** The manifest or a shard has a format major version this reader does not know. */
public final class UnsupportedVersionException extends FormatException {
    private static final long serialVersionUID = 1L;

    public UnsupportedVersionException(String message) {
        super(message);
    }

    public UnsupportedVersionException(String message, Throwable cause) {
        super(message, cause);
    }
}
