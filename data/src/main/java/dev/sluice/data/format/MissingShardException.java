package dev.sluice.data.format;

/** The manifest names a shard that is not in the store. */
public final class MissingShardException extends FormatException {
    private static final long serialVersionUID = 1L;

    public MissingShardException(String message) {
        super(message);
    }

    public MissingShardException(String message, Throwable cause) {
        super(message, cause);
    }
}
