package dev.sluice.data.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.data.format.Dataset;
import dev.sluice.data.format.Split;
import dev.sluice.data.memory.DirectAllocator;
import dev.sluice.data.store.FileStore;
import dev.sluice.data.testing.SyntheticDatasets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-epoch I/O figures: the shards an epoch fetches ahead for the next one count in the next
 * one. Expected values come from the manifest (shard count and bytes of the split).
 */
class LoaderMetricsTest {

    private static final int EPOCHS = 3;

    @TempDir
    Path tmp;

    /** Runs {@link #EPOCHS} epochs the way the trainer does (each prefetching the next) and returns each epoch's delta. */
    private static LoaderMetrics.Snapshot[] epochs(Loader l) throws Exception {
        LoaderMetrics.Snapshot[] out = new LoaderMetrics.Snapshot[EPOCHS];
        LoaderMetrics.Snapshot mark = l.metrics().snapshot();
        for (int e = 0; e < EPOCHS; e++) {
            LoaderState then = e + 1 < EPOCHS ? LoaderState.start(9, e + 1) : null;
            try (EpochStream s = l.open(LoaderState.start(9, e), then)) {
                LoaderTest.drain(s, Integer.MAX_VALUE);
            }
            LoaderMetrics.Snapshot now = l.metrics().snapshot();
            out[e] = now.minus(mark);
            mark = now;
        }
        return out;
    }

    @Test
    void everyEpochCountsItsOwnShardsAndNoneOfTheNextOnes() throws Exception {
        try (FileStore store = new FileStore(tmp.resolve("ds"))) {
            SyntheticDatasets.write(store, tmp, 800, 8, 8, 3, false, 20_000);
            Dataset ds = Dataset.open(store);
            Split split = ds.manifest().split("train");
            int shards = split.shards().size();
            LoaderConfig cfg = LoaderConfig.training("train", 20, 9);
            try (Loader l = new Loader(ds, cfg, new DirectAllocator())) {
                LoaderMetrics.Snapshot[] d = epochs(l);
                for (int e = 0; e < EPOCHS; e++) {
                    // every shard once per epoch, one ranged read each (8 MiB parts, shards of ~20 kB),
                    // the last epoch included
                    assertEquals(shards, d[e].shards(), "shards fetched in epoch " + e);
                    assertEquals(shards, d[e].requests(), "requests in epoch " + e);
                    assertEquals(split.bytes(), d[e].bytesRead(), "bytes in epoch " + e);
                    assertEquals(0, d[e].cacheHits());
                }
            }
        }
    }

    @Test
    void aColdCacheShowsNoHitsInTheFirstEpochAndOnlyHitsAfter() throws Exception {
        try (FileStore store = new FileStore(tmp.resolve("ds"))) {
            SyntheticDatasets.write(store, tmp, 800, 8, 8, 3, false, 20_000);
            Dataset ds = Dataset.open(store);
            Split split = ds.manifest().split("train");
            int shards = split.shards().size();
            ShardCache cache = new ShardCache(tmp.resolve("cache"), 1L << 30); // holds the whole split
            try (Loader l = new Loader(ds, LoaderConfig.training("train", 20, 9), new DirectAllocator(), null,
                    cache)) {
                LoaderMetrics.Snapshot[] d = epochs(l);
                // epoch 1's first shards are fetched while epoch 0 ends: a shard both want is downloaded
                // by whichever asks first and read from the cache by the other, so a hit can fall in
                // epoch 0 and a download in epoch 1; each epoch counts every shard once, and the two
                // download every shard exactly once between them
                assertEquals(shards, d[0].shards() + d[0].cacheHits(), "epoch 0: every shard once");
                assertEquals(shards, d[1].shards() + d[1].cacheHits(), "epoch 1: every shard once");
                assertEquals(shards, d[0].shards() + d[1].shards(), "a cold cache: every shard downloaded once");
                assertEquals(split.bytes(), d[0].bytesRead() + d[1].bytesRead());
                assertEquals(split.bytes(), d[1].bytesRead() + d[1].cacheBytes());
                // by epoch 2 everything is cached
                assertEquals(0, d[2].shards(), "epoch 2 reads nothing from the store");
                assertEquals(0, d[2].bytesRead());
                assertEquals(shards, d[2].cacheHits(), "epoch 2 is served by the cache");
                assertEquals(split.bytes(), d[2].cacheBytes());
                assertEquals(1.0, d[2].cacheHitRate());
            }
        }
    }
}
