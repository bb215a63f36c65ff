package dev.sluice.data.loader;

import dev.sluice.data.store.StoreStats;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Counters a loader keeps while it runs: bytes and requests sent to the store, shards loaded (from
 * the store or the local cache),
 * samples and batches delivered, and how long the consumer waited for data; plus the retries of the
 * store it reads from. Thread-safe.
 */
public final class LoaderMetrics {

    private final Supplier<StoreStats> store;

    private final LongAdder bytesRead = new LongAdder();
    private final LongAdder requests = new LongAdder();
    private final LongAdder shards = new LongAdder();
    private final LongAdder samples = new LongAdder();
    private final LongAdder batches = new LongAdder();
    private final LongAdder waitNanos = new LongAdder();
    private final LongAdder fetchNanos = new LongAdder();
    private final LongAdder cacheHits = new LongAdder();
    private final LongAdder cacheBytes = new LongAdder();

    /** Counters without store statistics (retries read as 0). */
    public LoaderMetrics() {
        this(() -> StoreStats.NONE);
    }

    /** @param store the statistics of the store the loader reads from, sampled by every snapshot */
    public LoaderMetrics(Supplier<StoreStats> store) {
        this.store = store;
    }

    void read(long bytes, int parts) {
        bytesRead.add(bytes);
        requests.add(parts);
        shards.increment();
    }

    void cached(long bytes) {
        cacheHits.increment();
        cacheBytes.add(bytes);
    }

    void fetchTime(long nanos) {
        fetchNanos.add(nanos);
    }

    void delivered(int batchSamples, long waitedNanos) {
        samples.add(batchSamples);
        batches.increment();
        waitNanos.add(waitedNanos);
    }

    /** A consistent-enough copy of the counters. */
    public Snapshot snapshot() {
        return new Snapshot(bytesRead.sum(), requests.sum(), shards.sum(), samples.sum(), batches.sum(),
                waitNanos.sum(), fetchNanos.sum(), cacheHits.sum(), cacheBytes.sum(), store.get().retries());
    }

    /**
     * Counter values at one moment.
     *
     * @param bytesRead bytes read from the store
     * @param requests ranged reads issued
     * @param shards shards loaded
     * @param samples samples delivered
     * @param batches batches delivered
     * @param waitNanos time the consumer spent blocked waiting for a batch
     * @param fetchNanos summed time from issuing a shard's reads to having it verified
     * @param cacheHits shards served from the local shard cache (not counted in {@code shards})
     * @param cacheBytes bytes served from the local shard cache
     * @param storeRetries retries of the store's operations ({@link StoreStats#retries()}); the store
     *     may be shared (other loaders, replicas), so this counts every user's retries
     */
    public record Snapshot(long bytesRead, long requests, long shards, long samples, long batches, long waitNanos,
                           long fetchNanos, long cacheHits, long cacheBytes, long storeRetries) {

        /** Share of shard loads served by the local cache. */
        public double cacheHitRate() {
            long all = shards + cacheHits;
            return all == 0 ? 0 : (double) cacheHits / all;
        }

        /** Counters accumulated since {@code earlier}. */
        public Snapshot minus(Snapshot earlier) {
            return new Snapshot(bytesRead - earlier.bytesRead, requests - earlier.requests, shards - earlier.shards,
                    samples - earlier.samples, batches - earlier.batches, waitNanos - earlier.waitNanos,
                    fetchNanos - earlier.fetchNanos, cacheHits - earlier.cacheHits, cacheBytes - earlier.cacheBytes,
                    storeRetries - earlier.storeRetries);
        }
    }
}
