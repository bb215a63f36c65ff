package dev.sluice.data.store;

/**
 * How to reach a store. Fields that do not apply to a location's scheme are ignored.
 *
 * @param s3Endpoint endpoint override for S3-compatible servers (e.g. {@code http://127.0.0.1:9090}),
 *     or null for AWS
 * @param region AWS region, or null for the SDK's default provider chain (then {@code us-east-1})
 * @param pathStyle path-style addressing ({@code endpoint/bucket/key}), needed by most S3-compatible servers
 * @param anonymous send unsigned requests (public buckets); otherwise the SDK's default credential chain
 * @param partBytes size of one ranged GET when a shard is fetched in parts, and of one upload part
 * @param maxConcurrency requests in flight per store
 * @param multipartThresholdBytes uploads larger than this are sent as multipart uploads of
 *     {@code partBytes} parts
 * @param retry retries, backoff and stall detection for remote stores
 * @param hedge when a slow ranged read is sent a second time (remote stores)
 */
public record StoreOptions(
        String s3Endpoint,
        String region,
        boolean pathStyle,
        boolean anonymous,
        long partBytes,
        int maxConcurrency,
        long multipartThresholdBytes,
        RetryPolicy retry,
        HedgePolicy hedge) {

    public StoreOptions {
        if (partBytes <= 0 || multipartThresholdBytes <= 0) {
            throw new IllegalArgumentException("partBytes and multipartThresholdBytes must be positive, got "
                    + partBytes + " and " + multipartThresholdBytes);
        }
        if (maxConcurrency < 1) {
            throw new IllegalArgumentException("maxConcurrency must be at least 1, got " + maxConcurrency);
        }
        if (retry == null) {
            retry = RetryPolicy.defaults();
        }
        if (hedge == null) {
            hedge = HedgePolicy.defaults();
        }
    }

    /** All fields but the hedge policy, which is {@link HedgePolicy#defaults()}. */
    public StoreOptions(String s3Endpoint, String region, boolean pathStyle, boolean anonymous, long partBytes,
            int maxConcurrency, long multipartThresholdBytes, RetryPolicy retry) {
        this(s3Endpoint, region, pathStyle, anonymous, partBytes, maxConcurrency, multipartThresholdBytes, retry,
                HedgePolicy.defaults());
    }

    /** The six original fields; the threshold is 16 MiB and retries are {@link RetryPolicy#defaults()}. */
    public StoreOptions(String s3Endpoint, String region, boolean pathStyle, boolean anonymous, long partBytes,
            int maxConcurrency) {
        this(s3Endpoint, region, pathStyle, anonymous, partBytes, maxConcurrency, 16L << 20, RetryPolicy.defaults());
    }

    /**
     * 8 MiB parts, 16 requests in flight, multipart above 16 MiB, default retries and hedging,
     * default endpoint, region and credentials.
     */
    public static StoreOptions defaults() {
        return new StoreOptions(null, null, false, false, 8L << 20, 16, 16L << 20, RetryPolicy.defaults());
    }

    /** Sets the endpoint; a non-null endpoint also turns on path-style addressing. */
    public StoreOptions withS3Endpoint(String endpoint) {
        return new StoreOptions(endpoint, region, endpoint != null || pathStyle, anonymous, partBytes, maxConcurrency,
                multipartThresholdBytes, retry, hedge);
    }

    public StoreOptions withRegion(String newRegion) {
        return new StoreOptions(s3Endpoint, newRegion, pathStyle, anonymous, partBytes, maxConcurrency,
                multipartThresholdBytes, retry, hedge);
    }

    public StoreOptions withPathStyle(boolean on) {
        return new StoreOptions(s3Endpoint, region, on, anonymous, partBytes, maxConcurrency,
                multipartThresholdBytes, retry, hedge);
    }

    public StoreOptions withAnonymous(boolean on) {
        return new StoreOptions(s3Endpoint, region, pathStyle, on, partBytes, maxConcurrency,
                multipartThresholdBytes, retry, hedge);
    }

    public StoreOptions withPartBytes(long bytes) {
        return new StoreOptions(s3Endpoint, region, pathStyle, anonymous, bytes, maxConcurrency,
                multipartThresholdBytes, retry, hedge);
    }

    public StoreOptions withMaxConcurrency(int requests) {
        return new StoreOptions(s3Endpoint, region, pathStyle, anonymous, partBytes, requests,
                multipartThresholdBytes, retry, hedge);
    }

    public StoreOptions withMultipartThresholdBytes(long bytes) {
        return new StoreOptions(s3Endpoint, region, pathStyle, anonymous, partBytes, maxConcurrency, bytes, retry, hedge);
    }

    public StoreOptions withRetry(RetryPolicy policy) {
        return new StoreOptions(s3Endpoint, region, pathStyle, anonymous, partBytes, maxConcurrency,
                multipartThresholdBytes, policy, hedge);
    }

    public StoreOptions withHedge(HedgePolicy policy) {
        return new StoreOptions(s3Endpoint, region, pathStyle, anonymous, partBytes, maxConcurrency,
                multipartThresholdBytes, retry, policy);
    }
}
