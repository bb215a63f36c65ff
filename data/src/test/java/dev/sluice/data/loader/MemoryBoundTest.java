package dev.sluice.data.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.data.format.Dataset;
import dev.sluice.data.format.ShardInfo;
import dev.sluice.data.format.Split;
import dev.sluice.data.memory.DirectAllocator;
import dev.sluice.data.store.FileStore;
import dev.sluice.data.testing.SyntheticDatasets;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The loader never holds more than its configured bound (docs/LOADER.md "Memory bound"): measured
 * at every batch through the allocators and the fetcher's and mixer's counters.
 */
class MemoryBoundTest {

    static final int N = 900;

    @TempDir
    static Path tmp;

    static FileStore store;
    static Dataset dataset;
    static Split split;

    @BeforeAll
    static void write() throws IOException {
        store = new FileStore(tmp.resolve("ds"));
        SyntheticDatasets.write(store, tmp, N, 16, 16, 3, false, 20_000);
        dataset = Dataset.open(store);
        split = dataset.manifest().split("train");
        assertTrue(split.shards().size() > 20, "many shards of ~26 samples, the last one smaller");
    }

    @AfterAll
    static void close() {
        store.close();
    }

    static long maxShardSamples() {
        return split.shards().stream().mapToLong(ShardInfo::samples).max().orElseThrow();
    }

    /** Sum of the {@code w} largest shards' sample counts: the tightest bound on the shuffle buffer. */
    static long largestShards(int w) {
        return split.shards().stream().mapToLong(ShardInfo::samples).sorted().skip(Math.max(0, split.shards().size() - w))
                .sum();
    }

    @Test
    void theFormulaFollowsTheConfiguration() {
        LoaderConfig cfg = LoaderConfig.training("train", 16, 1).withShuffle(true, 3).withIo(2, 4096, 5);
        try (Loader l = new Loader(dataset, cfg, new DirectAllocator())) {
            Loader.Memory m = l.memory();
            assertEquals(5, m.slabs(), "window + prefetch");
            assertEquals(split.maxShardBytes(), m.slabBytes());
            assertEquals(3 * maxShardSamples(), m.shuffleSamples());
            assertEquals(3 * split.maxShardBytes(), m.shuffleBytes());
            assertEquals(5L * 16 * (16 * 16 * 3 + 8), m.batchBytes(), "buffers x batch x (pixels + id)");
            assertEquals(4 * m.shuffleSamples(), m.indexBytes());
            assertEquals(5 * split.maxShardBytes() + m.batchBytes() + m.indexBytes(), m.totalBytes());
        }
        LoaderConfig bigger = cfg.withShuffle(true, 8).withIo(0, 4096, 2);
        try (Loader l = new Loader(dataset, bigger, new DirectAllocator())) {
            assertEquals(9, l.memory().slabs(), "prefetch 0 still keeps one slab ahead");
            assertEquals(8 * maxShardSamples(), l.memory().shuffleSamples());
        }
        try (Loader l = new Loader(dataset, cfg.withShuffle(false, 3), new DirectAllocator())) {
            assertEquals(maxShardSamples(), l.memory().shuffleSamples(), "in order: one open shard");
        }
    }

    @Test
    void neverHoldsMoreThanTheBoundAtAnyStep() throws IOException {
        int[][] settings = {{1, 0}, {2, 1}, {4, 2}, {6, 3}};
        for (int[] s : settings) {
            int window = s[0];
            int prefetch = s[1];
            LoaderConfig cfg = LoaderConfig.training("train", 10, 5).withShuffle(true, window).withIo(prefetch, 4096, 3);
            // fresh, then resumed mid-epoch on another world size (listed runs)
            check(cfg, LoaderState.start(5, 0), window);
            check(cfg.withRank(1, 3), new LoaderState(5, 0, List.of(new LoaderState.Segment(2, 240))), window);
        }
    }

    private static void check(LoaderConfig cfg, LoaderState state, int window) throws IOException {
        DirectAllocator batchMem = new DirectAllocator();
        DirectAllocator shardMem = new DirectAllocator();
        String where = "window " + window + " prefetch " + cfg.prefetch() + " state " + state.toJson();
        try (Loader l = new Loader(dataset, cfg, batchMem, shardMem)) {
            Loader.Memory m = l.memory();
            ShardFetcher f = l.fetcher();
            long slabsAtStart = shardMem.allocations();
            assertEquals(m.slabs(), slabsAtStart, where);
            assertEquals(m.shardBytes(), shardMem.liveBytes(), where);
            assertEquals(m.batchBytes(), batchMem.liveBytes(), where);
            List<Long> ids = new ArrayList<>();
            try (EpochStream st = l.open(state)) {
                int steps = 0;
                for (HostBatch next = st.next(); next != null; next = st.next()) {
                    try (HostBatch b = next) {
                        for (int i = 0; i < b.size(); i++) {
                            ids.add(b.sampleId(i));
                        }
                        assertEquals(m.shardBytes(), shardMem.liveBytes(), where + " step " + steps);
                        assertEquals(slabsAtStart, shardMem.allocations(), where + ": no slab allocated after start");
                        assertEquals(m.batchBytes(), batchMem.liveBytes(), where + " step " + steps);
                        assertTrue(f.slabsInUse() <= m.slabs(), where + " step " + steps);
                        assertTrue(st.peakOpenRuns() <= window, where + " step " + steps);
                        assertTrue(st.peakOpenSamples() <= m.shuffleSamples(), where + " step " + steps);
                    }
                    steps++;
                }
                assertTrue(steps > 5, where);
                assertEquals(window, st.peakOpenRuns(), where + ": the window fills");
                assertTrue(st.peakOpenSamples() <= largestShards(window), where + ": at most the largest shards");
                assertTrue(st.peakOpenSamples() > (window - 1) * 20L, where + ": the buffer holds about "
                        + window + " shards, got " + st.peakOpenSamples() + " samples");
                assertTrue(f.peakSlabsInUse() <= window + Math.max(1, cfg.prefetch()), where);
                assertTrue(f.peakBytesHeld() <= m.shardBytes(), where);
                assertTrue(f.peakSlabsInUse() >= Math.min(window, split.shards().size()), where
                        + ": every open shard sits in a slab");
            }
            assertEquals(0, f.slabsInUse(), where + ": every slab handed back at the end of the stream");
            assertEquals(ids.size(), new java.util.HashSet<>(ids).size(), where);
        }
        assertEquals(0, shardMem.liveBytes());
        assertEquals(0, batchMem.liveBytes());
    }
}
