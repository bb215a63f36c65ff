package dev.sluice.data.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The epoch plan as a pure function of shard sizes, seed, epoch, world size and rank: golden
 * digests, partitioning and remainder policies, and resume (same and other world sizes) at random
 * points. No data is read; {@link LoaderTest} checks the loader delivers exactly this order.
 */
class EpochOrderTest {

    /** A fixed small "manifest": shard sample counts, deliberately uneven. */
    static final long[] SHARDS = {97, 128, 128, 5, 64, 300, 1, 77, 128, 41};
    static final int N = (int) Arrays.stream(SHARDS).sum(); // 969

    static LoaderConfig cfg(long seed, int rank, int world, Remainder rem, int window) {
        return LoaderConfig.training("train", 32, seed).withRank(rank, world).withRemainder(rem)
                .withShuffle(true, window);
    }

    static long[] ids(long[] shards, LoaderConfig cfg, LoaderState state) {
        return EpochOrder.sampleIds(shards, cfg, state);
    }

    /** Ids of all ranks, rank 0 first. */
    static long[] allRanks(long[] shards, long seed, long epoch, int world, Remainder rem, int window) {
        List<long[]> parts = new ArrayList<>();
        int n = 0;
        for (int r = 0; r < world; r++) {
            long[] p = ids(shards, cfg(seed, r, world, rem, window), LoaderState.start(seed, epoch));
            parts.add(p);
            n += p.length;
        }
        long[] out = new long[n];
        int k = 0;
        for (long[] p : parts) {
            System.arraycopy(p, 0, out, k, p.length);
            k += p.length;
        }
        return out;
    }

    /** SHA-256 of the ids as 8-byte little-endian integers, in hex. */
    static String sha256(long[] ids) {
        ByteBuffer b = ByteBuffer.allocate(ids.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long id : ids) {
            b.putLong(id);
        }
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b.array()));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    static int[] counts(long[] ids, int n) {
        int[] c = new int[n];
        for (long id : ids) {
            c[(int) id]++;
        }
        return c;
    }

    @Test
    void splitMix64MatchesTheReferenceOutputs() {
        // outputs of the reference splitmix64.c (Vigna) seeded with 0
        Rng r = new Rng(0);
        assertEquals(0xE220A8397B1DCDAFL, r.nextLong());
        assertEquals(0x6E789E6AA1B965F4L, r.nextLong());
        assertEquals(0x06C45D188009454FL, r.nextLong());
    }

    /**
     * Golden digests of the full order (all ranks, rank 0 first) for the fixed manifest above. Any
     * JVM on any machine must reproduce them; docs/LOADER.md's appendix reproduces them in Python.
     * A change here is a change of the documented order: it breaks resuming older checkpoints.
     */
    @Test
    void goldenOrderIsReproducedByteForByte() {
        assertEquals("[1, 3, 8, 4, 9, 0, 6, 7, 5, 2]", Arrays.toString(new EpochPlan(SHARDS, 2024, 3, true, Remainder.DROP, 4).shardOrder()));
        assertEquals("d72ea619ddcd5a353bd50ea81985000d8fb493343753607ef533466ec6b96f8e", sha256(allRanks(SHARDS, 2024, 3, 3, Remainder.DROP, 4)));
        assertEquals("aa0a57dc9dd8a2b3e893c26cd0b9b5111caeacb70473deb868a756a7304140c1", sha256(allRanks(SHARDS, 2024, 3, 4, Remainder.WRAP, 2)));
        assertEquals("2ee6b706df0e511f9594391f7f85a6acd72788945498389bd78fa9a3196506e7", sha256(allRanks(SHARDS, 2024, 3, 5, Remainder.UNEVEN, 3)));
        // an elastic resume: 3 ranks consumed 300 samples, the rest on 2 ranks
        LoaderState s = new LoaderState(2024, 3, List.of(new LoaderState.Segment(3, 300)));
        long[] r0 = ids(SHARDS, cfg(2024, 0, 2, Remainder.DROP, 4), s);
        long[] r1 = ids(SHARDS, cfg(2024, 1, 2, Remainder.DROP, 4), s);
        long[] both = Arrays.copyOf(r0, r0.length + r1.length);
        System.arraycopy(r1, 0, both, r0.length, r1.length);
        assertEquals("c093a64e63c2d26172ae4fb5332319dcbeacadd94d0df7d13fbcdcbc38386608", sha256(both));
    }

    @Test
    void sameInputsSameOrderOtherEpochOrSeedAnotherOrder() {
        long[] a = allRanks(SHARDS, 7, 0, 2, Remainder.DROP, 4);
        assertArrayEquals(a, allRanks(SHARDS, 7, 0, 2, Remainder.DROP, 4));
        assertFalse(Arrays.equals(a, allRanks(SHARDS, 7, 1, 2, Remainder.DROP, 4)), "another epoch");
        assertFalse(Arrays.equals(a, allRanks(SHARDS, 8, 0, 2, Remainder.DROP, 4)), "another seed");
        assertNotEquals(Arrays.toString(new EpochPlan(SHARDS, 7, 0, true, Remainder.DROP, 4).shardOrder()),
                Arrays.toString(new EpochPlan(SHARDS, 7, 1, true, Remainder.DROP, 4).shardOrder()),
                "shards are permuted anew each epoch");
    }

    @Test
    void sequentialReadsEverythingInManifestOrder() {
        LoaderConfig c = LoaderConfig.evaluation("train", 10);
        long[] ids = ids(SHARDS, c, LoaderState.start(0, 0));
        for (int i = 0; i < N; i++) {
            assertEquals(i, ids[i]);
        }
    }

    /** The epoch order (before the mixer): shards in permuted order, samples in stored order. */
    static long[] epochOrder(long[] shards, long seed, long epoch) {
        EpochPlan p = new EpochPlan(shards, seed, epoch, true, Remainder.DROP, 1);
        long[] out = new long[(int) p.totalSamples()];
        int k = 0;
        for (int s : p.shardOrder()) {
            for (int i = 0; i < shards[s]; i++) {
                out[k++] = p.sampleId(s, i);
            }
        }
        return out;
    }

    @Test
    void ranksTakeContiguousBlocksOfTheEpochOrderShuffledWithinTheirWindow() {
        long[] order = epochOrder(SHARDS, 9, 2);
        int world = 4;
        int per = N / world;
        for (int r = 0; r < world; r++) {
            long[] mine = ids(SHARDS, cfg(9, r, world, Remainder.DROP, 3), LoaderState.start(9, 2));
            assertEquals(per, mine.length);
            long[] block = Arrays.copyOfRange(order, r * per, r * per + per);
            assertArrayEquals(sorted(block), sorted(mine), "rank " + r + " draws exactly its block");
            assertFalse(Arrays.equals(block, mine), "and not in stored order");
        }
    }

    static long[] sorted(long[] a) {
        long[] c = a.clone();
        Arrays.sort(c);
        return c;
    }

    @Test
    void dropLeavesOutTheLastSamplesOfTheEpochOrder() {
        for (int world : new int[] {2, 3, 4, 7, 10}) {
            long[] order = epochOrder(SHARDS, 5, 1);
            long[] all = allRanks(SHARDS, 5, 1, world, Remainder.DROP, 4);
            int drop = N % world;
            assertEquals(N - drop, all.length);
            int[] c = counts(all, N);
            for (int i = 0; i < N; i++) {
                int expect = i < N - drop ? 1 : 0;
                assertEquals(expect, c[(int) order[i]], "world " + world + ", epoch position " + i);
            }
        }
    }

    @Test
    void wrapRepeatsTheFirstSamplesOfTheEpochOrder() {
        for (int world : new int[] {2, 3, 4, 7, 10}) {
            long[] order = epochOrder(SHARDS, 5, 1);
            long[] all = allRanks(SHARDS, 5, 1, world, Remainder.WRAP, 4);
            int per = (N + world - 1) / world;
            int extra = per * world - N;
            assertEquals(N + extra, all.length);
            for (int r = 0; r < world; r++) {
                assertEquals(per, ids(SHARDS, cfg(5, r, world, Remainder.WRAP, 4), LoaderState.start(5, 1)).length);
            }
            int[] c = counts(all, N);
            for (int i = 0; i < N; i++) {
                assertEquals(i < extra ? 2 : 1, c[(int) order[i]], "world " + world + ", epoch position " + i);
            }
        }
    }

    @Test
    void unevenGivesEverySampleOnceWithFloorOrCeilPerRank() {
        int world = 4;
        long[] all = allRanks(SHARDS, 5, 1, world, Remainder.UNEVEN, 4);
        assertArrayEquals(new int[N], Arrays.stream(counts(all, N)).map(x -> x - 1).toArray(), "exactly once");
        for (int r = 0; r < world; r++) {
            int n = ids(SHARDS, cfg(5, r, world, Remainder.UNEVEN, 4), LoaderState.start(5, 1)).length;
            assertTrue(n == N / world || n == N / world + 1, "rank " + r + " got " + n);
        }
    }

    @Test
    void resumingFromAnyPointContinuesTheSameOrder() {
        SplittableRandom rnd = new SplittableRandom(1234);
        for (int trial = 0; trial < 200; trial++) {
            int world = 1 + rnd.nextInt(5);
            int rank = rnd.nextInt(world);
            Remainder rem = rnd.nextBoolean() ? Remainder.DROP : Remainder.WRAP;
            int window = 1 + rnd.nextInt(5);
            long epoch = rnd.nextInt(3);
            LoaderConfig c = cfg(77, rank, world, rem, window);
            long[] whole = ids(SHARDS, c, LoaderState.start(77, epoch));
            int k = rnd.nextInt(whole.length + 1);
            LoaderState mid = LoaderState.fromJson(LoaderState.start(77, epoch).advance(world, (long) k * world).toJson());
            long[] rest = ids(SHARDS, c, mid);
            assertArrayEquals(Arrays.copyOfRange(whole, k, whole.length), rest,
                    "trial " + trial + ": world " + world + " rank " + rank + " resumed after " + k);
        }
    }

    /**
     * Random elastic histories: a few segments, each on a random number of lockstep ranks that stop
     * at a random point, the last run to the end of the epoch. What one epoch then is:
     * <ul>
     *   <li>DROP: every sample at most once; exactly {@code n mod W} are never seen, where {@code n}
     *       samples were left when the last segment began on {@code W} ranks;
     *   <li>WRAP: every sample at least once; only samples repeated within one segment, the last
     *       segment adding exactly {@code W*ceil(n/W) - n} copies and each earlier segment {@code k}
     *       at most {@code W_k*ceil(n_k/W_k) - n_k}.
     * </ul>
     */
    @Test
    void elasticResumeAtRandomPointsCoversTheEpochAsDocumented() {
        SplittableRandom rnd = new SplittableRandom(42);
        for (int trial = 0; trial < 150; trial++) {
            int shardCount = 1 + rnd.nextInt(12);
            long[] shards = new long[shardCount];
            for (int i = 0; i < shardCount; i++) {
                shards[i] = 1 + rnd.nextInt(90);
            }
            int n = (int) Arrays.stream(shards).sum();
            Remainder rem = rnd.nextBoolean() ? Remainder.DROP : Remainder.WRAP;
            int window = 1 + rnd.nextInt(4);
            long seed = rnd.nextLong();
            LoaderState state = LoaderState.start(seed, rnd.nextInt(5));
            int[] seen = new int[n];
            long delivered = 0;
            long maxExtra = 0;
            int segments = 1 + rnd.nextInt(4);
            String where = "trial " + trial + " (" + rem + ", window " + window + ", shards "
                    + Arrays.toString(shards) + ")";
            for (int s = 0; s < segments; s++) {
                boolean last = s == segments - 1;
                int world = 1 + rnd.nextInt(5);
                if (!state.segments().isEmpty()
                        && state.segments().get(state.segments().size() - 1).worldSize() == world) {
                    world = world % 5 + 1; // a new segment needs another world size
                }
                long remaining = n - distinct(seen);
                long per = rem == Remainder.DROP ? remaining / world : (remaining + world - 1) / world;
                long[][] mine = new long[world][];
                for (int r = 0; r < world; r++) {
                    mine[r] = ids(shards, cfg(seed, r, world, rem, window), state);
                    assertEquals(per, mine[r].length, where + ": segment " + s + " rank " + r + " share");
                }
                long take = last ? per : (per == 0 ? 0 : rnd.nextLong(per + 1));
                for (int r = 0; r < world; r++) {
                    for (int i = 0; i < take; i++) {
                        seen[(int) mine[r][i]]++;
                    }
                }
                delivered += take * world;
                maxExtra += world * per - remaining;
                if (last && rem == Remainder.DROP) {
                    assertEquals(remaining % world, n - distinct(seen), where + ": unseen after the epoch");
                }
                if (last && rem == Remainder.WRAP) {
                    long extra = delivered - n;
                    assertTrue(extra >= world * per - remaining && extra <= maxExtra,
                            where + ": " + extra + " repeats, expected between " + (world * per - remaining)
                                    + " and " + maxExtra);
                }
                state = LoaderState.fromJson(state.advance(world, take * world).toJson());
            }
            for (int i = 0; i < n; i++) {
                if (rem == Remainder.DROP) {
                    assertTrue(seen[i] <= 1, where + ": sample " + i + " seen " + seen[i] + " times");
                } else {
                    assertTrue(seen[i] >= 1, where + ": sample " + i + " never seen");
                }
            }
        }
    }

    private static int distinct(int[] seen) {
        int d = 0;
        for (int c : seen) {
            d += c > 0 ? 1 : 0;
        }
        return d;
    }

    @Test
    void fourToTwoAndTwoToThreeSeeEveryoneOnce() {
        LoaderState s = LoaderState.start(3, 0);
        int[] seen = new int[N];
        int[][] plan = {{4, 60}, {2, 100}, {3, -1}};
        for (int[] seg : plan) {
            int world = seg[0];
            long took = 0;
            for (int r = 0; r < world; r++) {
                long[] mine = ids(SHARDS, cfg(3, r, world, Remainder.DROP, 4), s);
                took = seg[1] < 0 ? mine.length : seg[1];
                for (int i = 0; i < took; i++) {
                    seen[(int) mine[i]]++;
                }
            }
            s = s.advance(world, took * world);
        }
        // 969 - 240 - 200 = 529 left on 3 ranks: 176 each, 1 dropped
        assertEquals(N - 1, s.consumed());
        assertEquals(1, Arrays.stream(seen).filter(c -> c == 0).count());
        assertEquals(0, Arrays.stream(seen).filter(c -> c > 1).count());
    }

    @Test
    void statesThatDoNotFitAreRefusedWithAReason() {
        LoaderConfig c = cfg(1, 0, 2, Remainder.DROP, 4);
        IllegalArgumentException notLockstep = assertThrows(IllegalArgumentException.class,
                () -> ids(SHARDS, c, new LoaderState(1, 0, List.of(new LoaderState.Segment(2, 7)))));
        assertTrue(notLockstep.getMessage().contains("not a multiple of the world size"), notLockstep.getMessage());
        IllegalArgumentException tooMany = assertThrows(IllegalArgumentException.class,
                () -> ids(SHARDS, c, new LoaderState(1, 0, List.of(new LoaderState.Segment(2, 2000)))));
        assertTrue(tooMany.getMessage().contains("share of the epoch has only"), tooMany.getMessage());
        IllegalArgumentException olderTooMany = assertThrows(IllegalArgumentException.class,
                () -> ids(SHARDS, c, new LoaderState(1, 0, List.of(new LoaderState.Segment(3, 1500)))));
        assertTrue(olderTooMany.getMessage().contains("segment 0 claims 500"), olderTooMany.getMessage());
    }

    @Test
    void elasticReplayRefusesSplitsBeyondTwoToThe31Samples() {
        long[] huge = {1L << 30, 1L << 30, 1L << 30};
        EpochPlan p = new EpochPlan(huge, 1, 0, true, Remainder.DROP, 4);
        assertEquals(3L << 29, p.plan(List.of(), 2, 0).samples(), "planning without a replay needs no bitset");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> p.plan(List.of(new LoaderState.Segment(4, 4)), 2, 0));
        assertTrue(e.getMessage().contains("at most 2^31-1 samples"), e.getMessage());
    }

    @Test
    void stateIsASmallJsonValue() {
        LoaderState s = LoaderState.start(-5, 2).advance(4, 512).advance(2, 100).withPlan("shuffle window=4 x");
        String json = s.toJson();
        assertEquals("{\"seed\":-5,\"epoch\":2,\"segments\":[{\"worldSize\":4,\"consumed\":512},"
                + "{\"worldSize\":2,\"consumed\":100}],\"plan\":\"shuffle window=4 x\"}", json);
        assertEquals(s, LoaderState.fromJson(json));
        assertEquals(612, s.consumed());
        assertEquals(LoaderState.start(1, 0), LoaderState.fromJson("{\"seed\":1,\"epoch\":0,\"segments\":[],\"x\":3}"));
        for (String bad : new String[] {"[1]", "{\"seed\":1,\"epoch\":0}", "{\"seed\":1,\"epoch\":-1,\"segments\":[]}",
                "{\"seed\":1,\"epoch\":0,\"segments\":[{\"worldSize\":0,\"consumed\":4}]}", "nonsense{"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LoaderState.fromJson(bad),
                    bad);
            assertTrue(e.getMessage().startsWith("not a loader state"), e.getMessage());
        }
    }
}
