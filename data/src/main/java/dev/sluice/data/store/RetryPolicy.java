package dev.sluice.data.store;

import java.time.Duration;

/**
 * How hard a remote store tries before it gives up on one operation.
 *
 * <p>A failed attempt that may succeed when repeated (throttling, a 5xx, a reset connection, a body
 * cut short, a stalled transfer) is retried after an exponential backoff with jitter: the delay
 * before attempt {@code n + 1} is drawn uniformly from {@code [cap / 2, cap]} with
 * {@code cap = min(maxDelay, baseDelay * 2^(n - 1))}. Jitter keeps many readers that failed together
 * from retrying together; the lower half bound keeps the backoff meaningful.
 *
 * @param maxAttempts attempts in total, first one included (1 disables retries)
 * @param baseDelay backoff cap after the first failed attempt
 * @param maxDelay largest backoff between two attempts
 * @param stallTimeout an attempt that makes no progress (no response bytes) for this long is
 *     abandoned and counts as a failed attempt. The CRT S3 client hands over a part only once it
 *     has arrived whole, so this must exceed the time to fetch one part ({@code partBytes}) at the
 *     slowest bandwidth you accept.
 * @param responseTimeout a connection with a request outstanding on which no byte moves for this
 *     long is closed and the attempt fails (the S3 client's connection health check, in whole
 *     seconds, at least 2). It catches a server that accepts connections but never answers without
 *     waiting for the stall timeout, and it does not fire on a slow but live transfer, whose bytes
 *     keep moving. An attempt quiet for this long is also reported in a warning naming its key.
 */
public record RetryPolicy(int maxAttempts, Duration baseDelay, Duration maxDelay, Duration stallTimeout,
        Duration responseTimeout) {

    /** Default {@link #responseTimeout()}. */
    public static final Duration DEFAULT_RESPONSE_TIMEOUT = Duration.ofSeconds(5);

    /**
     * A policy whose response timeout is {@link #DEFAULT_RESPONSE_TIMEOUT}, or the stall timeout
     * if that is shorter.
     */
    public RetryPolicy(int maxAttempts, Duration baseDelay, Duration maxDelay, Duration stallTimeout) {
        this(maxAttempts, baseDelay, maxDelay, stallTimeout, stallTimeout != null
                && stallTimeout.compareTo(DEFAULT_RESPONSE_TIMEOUT) < 0 ? stallTimeout : DEFAULT_RESPONSE_TIMEOUT);
    }

    public RetryPolicy {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
        }
        if (baseDelay == null || baseDelay.isNegative() || maxDelay == null || maxDelay.compareTo(baseDelay) < 0) {
            throw new IllegalArgumentException("need 0 <= baseDelay <= maxDelay, got baseDelay=" + baseDelay
                    + " maxDelay=" + maxDelay);
        }
        if (stallTimeout == null || stallTimeout.isNegative() || stallTimeout.isZero()) {
            throw new IllegalArgumentException("stallTimeout must be positive, got " + stallTimeout);
        }
        if (responseTimeout == null || responseTimeout.isNegative() || responseTimeout.isZero()) {
            throw new IllegalArgumentException("responseTimeout must be positive, got " + responseTimeout);
        }
    }

    /**
     * 4 attempts, 100 ms base delay, 10 s max delay, 30 s stall timeout, 5 s response timeout: a
     * server that accepts connections and never answers fails an operation in well under a minute
     * (each attempt is closed after 5 s of silence, retried once by the S3 client, then by us),
     * with a warning naming the key while it waits.
     */
    public static RetryPolicy defaults() {
        return new RetryPolicy(4, Duration.ofMillis(100), Duration.ofSeconds(10), Duration.ofSeconds(30),
                DEFAULT_RESPONSE_TIMEOUT);
    }

    /** A policy that never retries (one attempt). */
    public static RetryPolicy none() {
        return defaults().withMaxAttempts(1);
    }

    public RetryPolicy withMaxAttempts(int attempts) {
        return new RetryPolicy(attempts, baseDelay, maxDelay, stallTimeout, responseTimeout);
    }

    public RetryPolicy withDelays(Duration base, Duration max) {
        return new RetryPolicy(maxAttempts, base, max, stallTimeout, responseTimeout);
    }

    public RetryPolicy withStallTimeout(Duration timeout) {
        return new RetryPolicy(maxAttempts, baseDelay, maxDelay, timeout, responseTimeout);
    }

    public RetryPolicy withResponseTimeout(Duration timeout) {
        return new RetryPolicy(maxAttempts, baseDelay, maxDelay, stallTimeout, timeout);
    }

    /**
     * Backoff before the attempt that follows {@code failedAttempts} failures.
     *
     * @param failedAttempts failures so far, at least 1
     * @param random a uniform draw from {@code [0, 1)} (the caller's random source, so tests can pin it)
     */
    public Duration backoff(int failedAttempts, double random) {
        if (failedAttempts < 1) {
            throw new IllegalArgumentException("failedAttempts must be at least 1, got " + failedAttempts);
        }
        long base = baseDelay.toNanos();
        long max = maxDelay.toNanos();
        // base * 2^(n-1), saturating well before overflow
        int shift = Math.min(failedAttempts - 1, 40);
        long cap = base > (max >> shift) ? max : Math.min(max, base << shift);
        long half = cap / 2;
        return Duration.ofNanos(half + (long) ((cap - half) * random));
    }
}
