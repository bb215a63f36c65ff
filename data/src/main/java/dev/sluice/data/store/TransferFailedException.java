package dev.sluice.data.store;

/**
 * A transfer with a remote store failed for good: every attempt allowed by the {@link RetryPolicy}
 * failed with a transient error, or one failed with an error that retrying cannot fix. Names the
 * bucket, the object key and, for reads, the byte range. The cause chain holds the last error with
 * credentials removed.
 */
public final class TransferFailedException extends StoreException {
    private static final long serialVersionUID = 1L;

    private final String bucket;
    private final String objectKey;
    private final long rangeStart;
    private final long rangeEnd;
    private final int attempts;

    /**
     * @param store printable store location
     * @param key store key (relative to the store root)
     * @param bucket bucket name
     * @param objectKey full key in the bucket
     * @param rangeStart first byte of a ranged read, or -1 when the operation has no range
     * @param rangeEnd byte after the last one of a ranged read, or -1
     * @param attempts attempts made
     * @param message what failed and what to do
     * @param cause the last error (credentials removed)
     */
    public TransferFailedException(String store, String key, String bucket, String objectKey, long rangeStart,
            long rangeEnd, int attempts, String message, Throwable cause) {
        super(store, key, message, cause);
        this.bucket = bucket;
        this.objectKey = objectKey;
        this.rangeStart = rangeStart;
        this.rangeEnd = rangeEnd;
        this.attempts = attempts;
    }

    /** Bucket of the object. */
    public String bucket() {
        return bucket;
    }

    /** Full key of the object in its bucket (store prefix included). */
    public String objectKey() {
        return objectKey;
    }

    /** First byte of the range read, or -1 for operations without a range. */
    public long rangeStart() {
        return rangeStart;
    }

    /** Byte after the last one of the range read (exclusive end), or -1. */
    public long rangeEnd() {
        return rangeEnd;
    }

    /** Attempts made before giving up. */
    public int attempts() {
        return attempts;
    }
}
