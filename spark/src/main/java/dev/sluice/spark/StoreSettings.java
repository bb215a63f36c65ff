package dev.sluice.spark;

import dev.sluice.data.store.RetryPolicy;
import dev.sluice.data.store.StoreOptions;
import java.io.Serializable;
import java.time.Duration;

/**
 * The {@link StoreOptions} a task needs, in a form Spark can ship to executors ({@code StoreOptions} is
 * not serializable). Credentials are never part of it: every executor uses the SDK's default chain (or
 * anonymous access), as the driver does.
 */
record StoreSettings(String s3Endpoint, String region, boolean pathStyle, boolean anonymous, long partBytes,
                     int maxConcurrency, long multipartThresholdBytes, int retryAttempts, long retryBaseNanos,
                     long retryMaxNanos, long stallTimeoutNanos) implements Serializable {

    static StoreSettings of(StoreOptions o) {
        RetryPolicy r = o.retry();
        return new StoreSettings(o.s3Endpoint(), o.region(), o.pathStyle(), o.anonymous(), o.partBytes(),
                o.maxConcurrency(), o.multipartThresholdBytes(), r.maxAttempts(), r.baseDelay().toNanos(),
                r.maxDelay().toNanos(), r.stallTimeout().toNanos());
    }

    StoreOptions toOptions() {
        return new StoreOptions(s3Endpoint, region, pathStyle, anonymous, partBytes, maxConcurrency,
                multipartThresholdBytes, new RetryPolicy(retryAttempts, Duration.ofNanos(retryBaseNanos),
                        Duration.ofNanos(retryMaxNanos), Duration.ofNanos(stallTimeoutNanos)));
    }
}
