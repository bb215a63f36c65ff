package dev.sluice.data.store;

/**
 * How to reach a store. Fields that do not apply to a location's scheme are ignored.
 *
 * @param s3Endpoint endpoint override for S3-compatible servers (e.g. {@code http://127.0.0.1:9090}),
 *     or null for AWS
 * @param region AWS region, or null for the SDK's default provider chain (then {@code us-east-1})
 * @param pathStyle path-style addressing ({@code endpoint/bucket/key}), needed by most S3-compatible servers
 * @param anonymous send unsigned requests (public buckets); otherwise the SDK's default credential chain
 * @param partBytes size of one ranged GET when a shard is fetched in parts
 * @param maxConcurrency requests in flight per store
 */
public record StoreOptions(
        String s3Endpoint,
        String region,
        boolean pathStyle,
        boolean anonymous,
        long partBytes,
        int maxConcurrency) {

    /** 8 MiB parts, 16 requests in flight, default endpoint, region and credentials. */
    public static StoreOptions defaults() {
        return new StoreOptions(null, null, false, false, 8L << 20, 16);
    }

    public StoreOptions withS3Endpoint(String endpoint) {
        return new StoreOptions(endpoint, region, endpoint != null || pathStyle, anonymous, partBytes, maxConcurrency);
    }
}
