package dev.sluice.data.store;

import java.net.URI;
import java.nio.file.Path;

/** Opens the {@link ObjectStore} that a dataset location names. */
public final class Stores {

    private Stores() {}

    /**
     * Opens a store for {@code location}: {@code s3://bucket/prefix}, {@code file:///dir}, or a plain
     * path. An S3 store uses {@code options} for endpoint, region, addressing, credentials (anonymous or
     * the SDK's default chain), part size, concurrency and retries; its keys are relative to the prefix.
     *
     * @throws IllegalArgumentException for an unknown scheme, with the accepted forms
     */
    public static ObjectStore open(String location, StoreOptions options) {
        if (isS3(location)) {
            return S3Store.open(location, options);
        }
        if (location.startsWith("file:")) {
            return new FileStore(Path.of(URI.create(location)));
        }
        if (location.matches("^[a-zA-Z][a-zA-Z0-9+.-]+://.*")) {
            throw new IllegalArgumentException("unsupported dataset location '" + location
                    + "': use a directory path, file:///dir or s3://bucket/prefix");
        }
        return new FileStore(Path.of(location));
    }

    /** Whether {@code location} names an S3 store. */
    public static boolean isS3(String location) {
        return location.startsWith("s3://");
    }
}
