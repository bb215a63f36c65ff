package dev.sluice.data.loader;

import dev.sluice.data.store.StoreStats;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Counters a loader keeps while it runs: bytes and requests sent to the store, shards loaded (from
 * the store or the local cache),
 * samples and batches delivered, and how long the consumer waited for data; plus the retries of the
 * store it reads from. Thread-safe.
 *
 * <p>Fetch counters (bytes, requests, shards, cache hits, fetch time) count an epoch's shards from
 * the moment its stream is opened, including those fetched ahead while the previous epoch ended; so
 * a snapshot taken when an epoch's stream has finished, minus one taken when the previous epoch's
 * had, holds exactly that epoch's fetches.
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

    /**
     * Fetch counters of one fetch session (one epoch's shards). Until the session is
     * {@linkplain #publish published} they are kept apart: shards fetched ahead for the next epoch
     * while this one ends belong to the next epoch's figures, not to this one's.
     */
    final class Fetches {
        private boolean published;
        private long heldBytes;
        private long heldRequests;
        private long heldShards;
        private long heldFetchNanos;
        private long heldCacheHits;
        private long heldCacheBytes;

        void read(long bytes, int parts, long nanos) {
            synchronized (this) {
                if (!published) {
                    heldBytes += bytes;
                    heldRequests += parts;
                    heldShards++;
                    heldFetchNanos += nanos;
                    return;
                }
            }
            bytesRead.add(bytes);
            requests.add(parts);
            shards.increment();
            fetchNanos.add(nanos);
        }

        void cached(long bytes, long nanos) {
            synchronized (this) {
                if (!published) {
                    heldCacheHits++;
                    heldCacheBytes += bytes;
                    heldFetchNanos += nanos;
                    return;
                }
            }
            cacheHits.increment();
            cacheBytes.add(bytes);
            fetchNanos.add(nanos);
        }

        private synchronized void publishHeld() {
            if (published) {
                return;
            }
            published = true;
            bytesRead.add(heldBytes);
            requests.add(heldRequests);
            shards.add(heldShards);
            fetchNanos.add(heldFetchNanos);
            cacheHits.add(heldCacheHits);
            cacheBytes.add(heldCacheBytes);
        }
    }

    /** New, unpublished counters for a fetch session. */
    Fetches fetches() {
        return new Fetches();
    }

    /**
     * Counts what {@code f} fetched so far, and from now on everything it fetches, in this loader's
     * figures: when its epoch's stream opens, or when it is discarded (its reads happened all the same).
     */
    void publish(Fetches f) {
        f.publishHeld();
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
     *     may be shared (other loaders, replicas), so this counts every user's retries. Retries the
     *     S3 client makes inside one store attempt are not visible to the store (the CRT-based
     *     client reports none) and are not counted
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
