package dev.sluice.engine.train;

import dev.sluice.data.loader.LoaderMetrics;
import java.util.Locale;

/**
 * What the training loader of global rank 0 did during one epoch: bytes and ranged reads sent to
 * the store, the store's retries, shards served by the local shard cache, and how long the trainer
 * waited for batches. Printed under each epoch summary and logged in {@code metrics.jsonl}'s
 * {@code loader} event.
 *
 * @param bytesRead shard bytes read from the store
 * @param requests ranged reads issued to the store
 * @param retries retries of the store's operations during the epoch (the store is shared by every
 *     loader of this process, so with several replicas in one process they are all counted)
 * @param hedges reads sent a second time because they were slow (shared store, like {@code retries})
 * @param shardLoads shards fetched from the store
 * @param cacheHits shards served from the local shard cache
 * @param dataWaitSeconds time the trainer was blocked waiting for a batch
 */
public record EpochIo(long bytesRead, long requests, long retries, long hedges, long shardLoads, long cacheHits,
                      double dataWaitSeconds) {

    /** The loader counters accumulated over one epoch. */
    public static EpochIo of(LoaderMetrics.Snapshot delta) {
        return new EpochIo(delta.bytesRead(), delta.requests(), delta.storeRetries(), delta.storeHedges(),
                delta.shards(),
                delta.cacheHits(), delta.waitNanos() / 1e9);
    }

    /** Share of shard loads served by the local cache, in [0, 1]. */
    public double cacheHitRate() {
        long all = shardLoads + cacheHits;
        return all == 0 ? 0 : (double) cacheHits / all;
    }

    /** {@code io: 47.1 MB in 6 requests, 0 retries, cache hits 0%, data wait 0.12 s}. */
    public String line() {
        return String.format(Locale.ROOT, "io: %.1f MB in %,d request%s, %,d retr%s, cache hits %.0f%%, data wait %.2f s",
                bytesRead / 1e6, requests, requests == 1 ? "" : "s", retries, retries == 1 ? "y" : "ies",
                cacheHitRate() * 100, dataWaitSeconds);
    }
}
