package dev.sluice.data.store;

/** The bucket of an S3 location does not exist (at this endpoint). */
public final class BucketNotFoundException extends StoreException {
    private static final long serialVersionUID = 1L;

    private final String bucket;

    public BucketNotFoundException(String store, String key, String bucket, String message, Throwable cause) {
        super(store, key, message, cause);
        this.bucket = bucket;
    }

    /** The bucket that was not found. */
    public String bucket() {
        return bucket;
    }
}
