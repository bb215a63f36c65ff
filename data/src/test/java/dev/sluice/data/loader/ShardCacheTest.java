package dev.sluice.data.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.data.format.Dataset;
import dev.sluice.data.format.ShardInfo;
import dev.sluice.data.memory.DirectAllocator;
import dev.sluice.data.store.FileStore;
import dev.sluice.data.testing.SyntheticDatasets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShardCacheTest {

    @TempDir
    Path tmp;

    @Test
    void cacheSmallerThanTheDatasetEvictsAndServesTheSameSamples() throws Exception {
        try (FileStore store = new FileStore(tmp.resolve("ds"))) {
            SyntheticDatasets.write(store, tmp, 800, 8, 8, 3, false, 20_000);
            Dataset ds = Dataset.open(store);
            List<ShardInfo> shards = ds.manifest().split("train").shards();
            long datasetBytes = ds.manifest().split("train").bytes();
            long budget = 3 * ds.manifest().split("train").maxShardBytes();
            assertTrue(budget < datasetBytes / 2, "budget well below the dataset");
            ShardCache cache = new ShardCache(tmp.resolve("cache"), budget);
            LoaderConfig cfg = LoaderConfig.training("train", 20, 9);
            List<Long> reference = LoaderTest.epochOf(ds, cfg, LoaderState.start(9, 0), null);
            for (int round = 0; round < 3; round++) {
                try (Loader l = new Loader(ds, cfg, new DirectAllocator(), null, cache);
                     EpochStream s = l.open(LoaderState.start(9, 0))) {
                    assertEquals(reference, LoaderTest.drain(s, Integer.MAX_VALUE), "same samples with the cache");
                }
                assertTrue(cache.sizeOnDisk() <= budget, "never above the budget: " + cache.sizeOnDisk());
            }
            assertTrue(cache.evictions() > 0, "evicted entries to stay in budget");
            assertEquals(shards.size() * 3L, cache.hits() + cache.misses(), "every fetch a hit or a miss");
            // Rounds in one order through a cache smaller than the data evict each shard before it is
            // needed again (least recently used), so whether they hit at all depends on how parallel
            // fetches finished. What the rounds left cached is served from disk, byte for byte:
            int served = 0;
            for (ShardInfo sh : shards) {
                if (!Files.exists(cache.entry(store.location(), sh))) {
                    continue;
                }
                java.nio.ByteBuffer got = java.nio.ByteBuffer.allocateDirect((int) sh.bytes());
                assertTrue(cache.readOrClaim(store.location(), sh, got).hit(), sh.key() + " is served from disk");
                java.nio.ByteBuffer want = java.nio.ByteBuffer.allocateDirect((int) sh.bytes());
                store.read(sh.key(), 0, want);
                assertEquals(want.flip(), got.position(0).limit((int) sh.bytes()), sh.key() + ": the source's bytes");
                served++;
            }
            assertTrue(served > 0, "the rounds left shards cached");
        }
    }

    @Test
    void aDamagedEntryIsDroppedAndFetchedAgain() throws Exception {
        try (FileStore store = new FileStore(tmp.resolve("ds"))) {
            SyntheticDatasets.write(store, tmp, 200, 4, 4, 1, false, 1 << 20);
            Dataset ds = Dataset.open(store);
            ShardCache cache = new ShardCache(tmp.resolve("cache"), 1 << 30);
            LoaderConfig cfg = LoaderConfig.evaluation("train", 50);
            List<Long> first;
            try (Loader l = new Loader(ds, cfg, new DirectAllocator(), null, cache);
                 EpochStream s = l.open(LoaderState.start(0, 0))) {
                first = LoaderTest.drain(s, Integer.MAX_VALUE);
            }
            Path entry;
            try (Stream<Path> files = Files.list(cache.dir())) {
                entry = files.filter(p -> p.toString().endsWith(".shard")).findFirst().orElseThrow();
            }
            byte[] b = Files.readAllBytes(entry);
            b[b.length - 5] ^= 0x7f;
            Files.write(entry, b);
            long hits = cache.hits();
            long misses = cache.misses();
            int shards = ds.manifest().split("train").shards().size();
            try (Loader l = new Loader(ds, cfg, new DirectAllocator(), null, cache);
                 EpochStream s = l.open(LoaderState.start(0, 0))) {
                assertEquals(first, LoaderTest.drain(s, Integer.MAX_VALUE));
                assertEquals(1, l.metrics().snapshot().shards(), "refetched from the store");
            }
            assertEquals(shards - 1, cache.hits() - hits, "the damaged entry is not counted as a hit");
            assertEquals(1, cache.misses() - misses, "its second lookup is the one miss");
            assertEquals(1, cache.damaged());
            assertTrue(java.util.Arrays.equals(Files.readAllBytes(store.root().resolve(
                    ds.manifest().split("train").shards().get(0).key())), Files.readAllBytes(entry)),
                    "the refetched copy replaced the damaged entry");
        }
    }

    @Test
    void aCacheThatCannotBeReadFallsBackToTheStore() throws Exception {
        try (FileStore store = new FileStore(tmp.resolve("ds"))) {
            SyntheticDatasets.write(store, tmp, 200, 4, 4, 1, false, 1 << 20);
            Dataset ds = Dataset.open(store);
            ShardCache cache = new ShardCache(tmp.resolve("cache"), 1 << 30);
            LoaderConfig cfg = LoaderConfig.evaluation("train", 50);
            List<Long> first = LoaderTest.epochOf(ds, cfg, LoaderState.start(0, 0), cache);
            Path entry;
            try (Stream<Path> files = Files.list(cache.dir())) {
                entry = files.filter(p -> p.toString().endsWith(".shard")).findFirst().orElseThrow();
            }
            // an entry that cannot be opened as a file (a disk error would look the same to the loader)
            Files.delete(entry);
            Files.createDirectory(entry);
            try (Loader l = new Loader(ds, cfg, new DirectAllocator(), null, cache);
                 EpochStream s = l.open(LoaderState.start(0, 0))) {
                assertEquals(first, LoaderTest.drain(s, Integer.MAX_VALUE), "same samples, from the store");
                assertEquals(1, l.metrics().snapshot().shards(), "fetched from the store");
            }
        }
    }
}
