package dev.sluice.data.format;

/** A shard's bytes are malformed or truncated (bad magic, offsets out of range, short object). */
public final class CorruptShardException extends FormatException {
    private static final long serialVersionUID = 1L;

    public CorruptShardException(String message) {
        super(message);
    }

    public CorruptShardException(String message, Throwable cause) {
        super(message, cause);
    }
}
