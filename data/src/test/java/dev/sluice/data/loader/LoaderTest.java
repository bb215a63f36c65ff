package dev.sluice.data.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.data.format.Dataset;
import dev.sluice.data.memory.DirectAllocator;
import dev.sluice.data.store.FileStore;
import dev.sluice.data.testing.SyntheticDatasets;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoaderTest {

    static final int N = 1200;
    static final int PX = 4 * 4 * 3;

    @TempDir
    static Path tmp;

    static FileStore store;
    static Dataset dataset;

    @BeforeAll
    static void write() throws IOException {
        store = new FileStore(tmp.resolve("ds"));
        SyntheticDatasets.write(store, tmp, N, 4, 4, 3, false, 5_000);
        dataset = Dataset.open(store);
        assertTrue(dataset.manifest().split("train").shards().size() >= 10);
    }

    @AfterAll
    static void close() {
        store.close();
    }

    /** Ids of every batch delivered, checking each batch's pixels match its ids. */
    static List<Long> drain(EpochStream s, int maxBatches) throws IOException {
        List<Long> ids = new ArrayList<>();
        int batches = 0;
        while (batches < maxBatches) {
            HostBatch next = s.next();
            if (next == null) {
                break;
            }
            try (HostBatch b = next) {
                int sz = (int) b.fields().get(0).sampleBytes();
                ByteBuffer expect = ByteBuffer.allocate(sz);
                ByteBuffer px = b.buffer(0);
                ByteBuffer id = b.buffer(1).order(ByteOrder.LITTLE_ENDIAN);
                assertEquals(b.size() * sz, px.limit());
                for (int i = 0; i < b.size(); i++) {
                    long sid = id.getLong(i * 8);
                    assertEquals(b.sampleId(i), sid, "sample id recorded with the batch");
                    SyntheticDatasets.fillPixels(sid, expect.clear());
                    assertEquals(expect.clear(), px.duplicate().position(i * sz).limit((i + 1) * sz),
                            "pixels of sample " + sid);
                    ids.add(sid);
                }
            }
            batches++;
        }
        return ids;
    }

    static List<Long> epoch(LoaderConfig cfg, LoaderState state) throws IOException {
        return epochOf(dataset, cfg, state, null);
    }

    static List<Long> epochOf(Dataset ds, LoaderConfig cfg, LoaderState state, ShardCache cache)
            throws IOException {
        try (Loader l = new Loader(ds, cfg, new DirectAllocator(), null, cache); EpochStream s = l.open(state)) {
            return drain(s, Integer.MAX_VALUE);
        }
    }

    static void assertExactlyOnce(List<Long> ids, int n) {
        long[] sorted = ids.stream().mapToLong(Long::longValue).sorted().toArray();
        long[] all = new long[n];
        Arrays.setAll(all, i -> i);
        assertArrayEquals(all, sorted, "every sample exactly once");
    }

    @Test
    void sequentialReadsInManifestOrder() throws IOException {
        List<Long> ids = epoch(LoaderConfig.evaluation("train", 64), LoaderState.start(0, 0));
        for (int i = 0; i < N; i++) {
            assertEquals(i, ids.get(i));
        }
        assertEquals(N, ids.size(), "the final partial batch is delivered for evaluation");
    }

    @Test
    void shuffledEpochSeesEverySampleOnceInADeterministicOrder() throws IOException {
        LoaderConfig cfg = LoaderConfig.training("train", 30, 42);
        List<Long> a = epoch(cfg, LoaderState.start(42, 0));
        assertExactlyOnce(a, N);
        assertEquals(a, epoch(cfg, LoaderState.start(42, 0)), "same seed, same order");
        List<Long> e1 = epoch(cfg, LoaderState.start(42, 1));
        assertExactlyOnce(e1, N);
        assertNotEquals(a, e1, "another epoch, another order");
        List<Long> other = epoch(LoaderConfig.training("train", 30, 7), LoaderState.start(7, 0));
        assertNotEquals(a, other, "another seed, another order");
        long inPlace = 0;
        for (int i = 0; i < N; i++) {
            inPlace += a.get(i) == i ? 1 : 0;
        }
        assertTrue(inPlace < N / 20, "shuffled: few samples stay in place (" + inPlace + ")");
    }

    @Test
    void fourRanksSplitTheEpoch() throws IOException {
        List<Long> all = new ArrayList<>();
        for (int r = 0; r < 4; r++) {
            LoaderConfig cfg = LoaderConfig.training("train", 25, 3).withRank(r, 4);
            List<Long> mine = epoch(cfg, LoaderState.start(3, 0));
            assertEquals(N / 4, mine.size(), "every rank gets the same count");
            all.addAll(mine);
        }
        assertExactlyOnce(all, N);
    }

    @Test
    void resumeMidEpochContinuesTheSameOrder() throws IOException {
        LoaderConfig cfg = LoaderConfig.training("train", 20, 11);
        List<Long> whole = epoch(cfg, LoaderState.start(11, 0));
        LoaderState saved;
        List<Long> first;
        try (Loader l = new Loader(dataset, cfg, new DirectAllocator());
             EpochStream s = l.open(LoaderState.start(11, 0))) {
            first = drain(s, 17);
            saved = LoaderState.fromJson(s.state().toJson());
        }
        assertEquals(17 * 20, saved.consumed());
        List<Long> rest = epoch(cfg, saved);
        List<Long> joined = new ArrayList<>(first);
        joined.addAll(rest);
        assertEquals(whole, joined, "resume replays nothing and skips nothing");
    }

    @Test
    void elasticResumeFourToTwoAndTwoToThree() throws IOException {
        List<Long> seen = new ArrayList<>();
        LoaderState state = LoaderState.start(5, 0);
        state = runRanks(state, 4, 10, 3, seen);   // 4 ranks x 3 batches of 10
        state = runRanks(state, 2, 10, 6, seen);   // resumed on 2 ranks (960 left: 3 x 32 x 10)
        state = runRanks(state, 3, 10, Integer.MAX_VALUE, seen); // then on 3 ranks, to the end
        assertEquals(N, state.consumed());
        assertExactlyOnce(seen, N);
    }

    /** Runs {@code world} lockstep ranks for up to {@code batches} each; returns the shared state. */
    static LoaderState runRanks(LoaderState state, int world, int batch, int batches, List<Long> seen)
            throws IOException {
        return runRanks(LoaderConfig.training("train", batch, state.seed()), state, world, batches, seen);
    }

    /** Runs {@code world} lockstep ranks of {@code base} for up to {@code batches} each; returns the shared state. */
    static LoaderState runRanks(LoaderConfig base, LoaderState state, int world, int batches, List<Long> seen)
            throws IOException {
        LoaderState next = null;
        for (int r = 0; r < world; r++) {
            LoaderConfig cfg = base.withRank(r, world);
            try (Loader l = new Loader(dataset, cfg, new DirectAllocator()); EpochStream s = l.open(state)) {
                seen.addAll(drain(s, batches));
                LoaderState mine = s.state();
                if (next != null) {
                    assertEquals(next, mine, "ranks in lockstep agree on the state");
                }
                next = mine;
            }
        }
        return next;
    }

    @Test
    void poolBuffersAreReusedAndFreed() throws IOException {
        DirectAllocator mem = new DirectAllocator();
        DirectAllocator shards = new DirectAllocator();
        LoaderConfig cfg = LoaderConfig.training("train", 16, 1);
        try (Loader l = new Loader(dataset, cfg, mem, shards)) {
            long afterStart = mem.allocations();
            assertEquals(cfg.batchBuffers() * 2L, afterStart, "one buffer per field per pooled batch");
            for (int e = 0; e < 2; e++) {
                try (EpochStream s = l.open(LoaderState.start(1, e))) {
                    assertFalse(drain(s, Integer.MAX_VALUE).isEmpty());
                }
            }
            assertEquals(afterStart, mem.allocations(), "no allocation per batch or epoch");
            assertEquals(0, l.metrics().snapshot().samples() % 16);
        }
        assertEquals(mem.allocations(), mem.frees());
        assertEquals(0, mem.liveBytes());
        assertEquals(shards.allocations(), shards.frees());
    }

    @Test
    void closingEarlyReturnsEverything() throws IOException {
        DirectAllocator mem = new DirectAllocator();
        try (Loader l = new Loader(dataset, LoaderConfig.training("train", 8, 1), mem)) {
            for (int k = 0; k < 3; k++) {
                try (EpochStream s = l.open(LoaderState.start(1, 0))) {
                    drain(s, 2);
                }
            }
        }
        assertEquals(0, mem.liveBytes());
    }

    static long[] shardCounts() {
        return dataset.manifest().split("train").shards().stream().mapToLong(sh -> sh.samples()).toArray();
    }

    @Test
    void loaderDeliversExactlyThePlannedOrder() throws IOException {
        for (Remainder rem : Remainder.values()) {
            for (int world : new int[] {1, 3}) {
                for (int r = 0; r < world; r++) {
                    LoaderConfig cfg = LoaderConfig.training("train", 32, 8).withRank(r, world).withRemainder(rem)
                            .withShuffle(true, 1 + r + world).withDropLast(false);
                    LoaderState start = LoaderState.start(8, 2);
                    long[] planned = EpochOrder.sampleIds(shardCounts(), cfg, start);
                    List<Long> got = epoch(cfg, start);
                    assertArrayEquals(planned, got.stream().mapToLong(Long::longValue).toArray(),
                            rem + " world " + world + " rank " + r);
                    try (Loader l = new Loader(dataset, cfg, new DirectAllocator())) {
                        assertArrayEquals(planned, l.order(start));
                    }
                }
            }
        }
        // dropLast (training): the final partial batch is drawn but not delivered
        LoaderConfig train = LoaderConfig.training("train", 50, 8).withRank(1, 3);
        long[] planned = EpochOrder.sampleIds(shardCounts(), train, LoaderState.start(8, 0));
        List<Long> got = epoch(train, LoaderState.start(8, 0));
        assertEquals(N / 3 / 50 * 50, got.size());
        assertArrayEquals(Arrays.copyOf(planned, got.size()), got.stream().mapToLong(Long::longValue).toArray());
        try (Loader l = new Loader(dataset, train, new DirectAllocator());
             EpochStream s = l.open(LoaderState.start(8, 0))) {
            assertEquals(planned.length, s.plannedSamples(), "drawn, the partial batch included");
            assertEquals(got.size(), s.plannedSamples() / 50 * 50, "delivered: the full batches");
        }
    }

    /**
     * Random histories through the real loader: lockstep ranks stop after a random number of
     * batches, the state goes through JSON, and the job resumes on a random number of ranks with a
     * random batch size; the last segment runs to the end. With DROP and the final partial batch
     * kept, one epoch is every sample at most once and exactly {@code n mod W} unseen.
     */
    @Test
    void resumeAtRandomPointsWithRandomWorldSizes() throws IOException {
        SplittableRandom rnd = new SplittableRandom(2024);
        for (int trial = 0; trial < 6; trial++) {
            long seed = rnd.nextLong();
            LoaderState state = LoaderState.start(seed, rnd.nextInt(3));
            List<Long> seen = new ArrayList<>();
            int prevWorld = 0;
            int segments = 2 + rnd.nextInt(2);
            long remainingAtLast = 0;
            int lastWorld = 0;
            for (int s = 0; s < segments; s++) {
                int world = 1 + rnd.nextInt(4);
                if (world == prevWorld) {
                    world = world % 4 + 1;
                }
                prevWorld = world;
                boolean last = s == segments - 1;
                LoaderConfig cfg = LoaderConfig.training("train", 8 + rnd.nextInt(40), seed).withDropLast(false);
                if (last) {
                    remainingAtLast = N - seen.size();
                    lastWorld = world;
                }
                state = LoaderState.fromJson(runRanks(cfg, state, world, last ? Integer.MAX_VALUE : rnd.nextInt(8),
                        seen).toJson());
            }
            long[] counts = new long[N];
            for (long id : seen) {
                counts[(int) id]++;
            }
            String where = "trial " + trial + " state " + state.toJson();
            assertEquals(0, Arrays.stream(counts).filter(c -> c > 1).count(), where + ": a sample seen twice");
            assertEquals(remainingAtLast % lastWorld, Arrays.stream(counts).filter(c -> c == 0).count(),
                    where + ": unseen samples");
            assertEquals(seen.size(), state.consumed(), where);
        }
    }

    @Test
    void wrapAfterAnElasticResumeRepeatsOnlyTheLastSegmentsPadding() throws IOException {
        LoaderConfig cfg = LoaderConfig.training("train", 10, 9).withRemainder(Remainder.WRAP).withDropLast(false);
        List<Long> seen = new ArrayList<>();
        LoaderState state = runRanks(cfg, LoaderState.start(9, 0), 2, 13, seen); // 2 x 130 = 260, no padding yet
        state = runRanks(cfg, state, 7, Integer.MAX_VALUE, seen);                // 940 left: 7 x 135 = 945
        long[] counts = new long[N];
        for (long id : seen) {
            counts[(int) id]++;
        }
        assertEquals(0, Arrays.stream(counts).filter(c -> c == 0).count(), "every sample at least once");
        assertEquals(5, Arrays.stream(counts).filter(c -> c == 2).count(), "7 x 135 - 940 repeats");
        assertEquals(N + 5, seen.size());
        assertEquals(N + 5, state.consumed());
    }

    @Test
    void resumeMayChangeTheBatchSizeButNotThePlan() throws IOException {
        LoaderConfig cfg = LoaderConfig.training("train", 20, 11).withDropLast(false);
        List<Long> whole = epoch(cfg, LoaderState.start(11, 0));
        LoaderState saved;
        List<Long> first;
        try (Loader l = new Loader(dataset, cfg, new DirectAllocator());
             EpochStream s = l.open(LoaderState.start(11, 0))) {
            first = drain(s, 5);
            saved = LoaderState.fromJson(s.state().toJson());
            assertEquals(l.planId(), saved.plan());
        }
        List<Long> joined = new ArrayList<>(first);
        // another batch size (and other I/O settings) continues the same order
        LoaderConfig bigger = new LoaderConfig("train", 64, List.of(), true, 11, 0, 1, Remainder.DROP, 4, 2, false,
                true, 1L << 20, 3);
        joined.addAll(epoch(bigger, saved));
        assertEquals(whole, joined);
        for (LoaderConfig other : new LoaderConfig[] {
            cfg.withShuffle(true, 3), cfg.withRemainder(Remainder.WRAP), cfg.withShuffle(false, 4)}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> epoch(other, saved));
            assertTrue(e.getMessage().contains("would repeat and skip samples"), e.getMessage());
        }
    }

    @Test
    void nextEpochPrefetchedWhileThisOneEndsDeliversTheSameOrder() throws IOException {
        LoaderConfig cfg = LoaderConfig.training("train", 20, 21);
        List<Long> e1 = epoch(cfg, LoaderState.start(21, 1));
        List<Long> e2 = epoch(cfg, LoaderState.start(21, 2));
        DirectAllocator shards = new DirectAllocator();
        try (Loader l = new Loader(dataset, cfg, new DirectAllocator(), shards)) {
            long slabs = shards.allocations();
            try (EpochStream s = l.open(LoaderState.start(21, 0), LoaderState.start(21, 1))) {
                drain(s, Integer.MAX_VALUE);
            }
            try (EpochStream s = l.open(LoaderState.start(21, 1), LoaderState.start(21, 2))) {
                assertEquals(e1, drain(s, Integer.MAX_VALUE), "prefetched epoch 1 in its own order");
            }
            // a different state than the prepared one: the prefetch is dropped, nothing leaks or hangs
            try (EpochStream s = l.open(LoaderState.start(21, 2).advance(1, 40))) {
                assertEquals(e2.subList(40, e2.size()), drain(s, Integer.MAX_VALUE));
            }
            try (EpochStream s = l.open(LoaderState.start(21, 0), LoaderState.start(21, 1))) {
                drain(s, 3); // stopped early: the prepared session must still be usable
            }
            try (EpochStream s = l.open(LoaderState.start(21, 1))) {
                assertEquals(e1, drain(s, Integer.MAX_VALUE));
            }
            assertEquals(slabs, shards.allocations(), "no slab beyond the fixed set");
        }
        assertEquals(shards.allocations(), shards.frees());
    }

    @Test
    void batchesPerEpochIsWhatEachRankGetsAlsoWhenRanksGetDifferentCounts() throws IOException {
        // 1200 samples over 7 ranks: UNEVEN gives ranks 171 or 172, DROP gives every rank 171, WRAP 172
        for (Remainder rem : Remainder.values()) {
            for (boolean dropLast : new boolean[] {true, false}) {
                for (int batch : new int[] {171, 172}) {
                    for (int r = 0; r < 7; r++) {
                        LoaderConfig cfg = LoaderConfig.training("train", batch, 3).withRank(r, 7).withRemainder(rem)
                                .withDropLast(dropLast);
                        long batches = 0;
                        try (Loader l = new Loader(dataset, cfg, new DirectAllocator());
                             EpochStream s = l.open(LoaderState.start(3, 0))) {
                            for (HostBatch b; (b = s.next()) != null; batches++) {
                                b.close();
                            }
                            assertEquals(batches, l.batchesPerEpoch(), rem + " dropLast " + dropLast + " batch "
                                    + batch + " rank " + r);
                        }
                    }
                }
            }
        }
    }
}
