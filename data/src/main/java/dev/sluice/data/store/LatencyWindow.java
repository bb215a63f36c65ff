package dev.sluice.data.store;

import java.util.Arrays;

/**
 * The most recent read latencies (a fixed ring, so old conditions age out) and their quantiles.
 * Thread-safe; recording is a store into the ring, the quantile is recomputed only every
 * {@code size / 16} records.
 */
final class LatencyWindow {

    private final long[] ring;
    private final int refreshEvery;
    private long recorded;
    private volatile long p95 = -1;
    private volatile long p50 = -1;

    LatencyWindow(int size) {
        if (size < 16) {
            throw new IllegalArgumentException("window of at least 16 samples needed, got " + size);
        }
        this.ring = new long[size];
        this.refreshEvery = size / 16;
    }

    /** Adds one observed latency. */
    void record(long nanos) {
        long[] copy = null;
        int n;
        synchronized (this) {
            ring[(int) (recorded % ring.length)] = nanos;
            recorded++;
            n = (int) Math.min(recorded, ring.length);
            if (recorded < ring.length || recorded % refreshEvery == 0 || p95 < 0) {
                copy = Arrays.copyOf(ring, n);
            }
        }
        if (copy != null) {
            // sorted outside the lock; p50 first, so a reader that sees p95 (hedging on) sees p50 too
            p50 = quantile(copy, 0.5);
            p95 = quantile(copy, 0.95); // already sorted: cheap
        }
    }

    /** Latencies recorded so far (all time, not only those still in the window). */
    synchronized long count() {
        return recorded;
    }

    /** The 95th percentile of the window, or -1 before the first record. */
    long p95() {
        return p95;
    }

    /** The median of the window, or -1 before the first record. */
    long p50() {
        return p50;
    }

    /**
     * The {@code q} quantile of {@code values} by the nearest-rank method (the smallest value with
     * at least {@code q} of all values at or below it); sorts {@code values} in place.
     */
    static long quantile(long[] values, double q) {
        if (values.length == 0) {
            return -1;
        }
        Arrays.sort(values);
        int rank = (int) Math.ceil(q * values.length);
        return values[Math.max(0, Math.min(values.length, rank) - 1)];
    }
}
