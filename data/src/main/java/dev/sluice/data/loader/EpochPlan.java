package dev.sluice.data.loader;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * The order of one epoch as a pure function of (seed, epoch, world size, rank) and of the
 * segments already consumed (docs/LOADER.md gives it precisely enough to reimplement):
 * <ol>
 *   <li>shards are permuted (Fisher-Yates with SplitMix64 seeded from seed and epoch), or kept in
 *       manifest order without shuffling;
 *   <li>the epoch order is every not-yet-consumed sample, shard by shard in that order, samples in
 *       stored order;
 *   <li>rank {@code r} of {@code W} takes the contiguous block {@code [r*per, (r+1)*per)} of it
 *       ({@code per} = remaining/W rounded down for {@link Remainder#DROP}, up for
 *       {@link Remainder#WRAP}, which wraps to the start), so ranks read mostly disjoint shards;
 *   <li>each rank draws its block through a {@link SampleMixer} over a window of open shards.
 * </ol>
 * A resumed segment under another world size replays earlier segments index-only to find what
 * was consumed, and partitions the rest.
 */
final class EpochPlan {

    private final long[] shardSamples;
    private final long[] sampleBase;
    private final long seed;
    private final long epoch;
    private final boolean shuffle;
    private final Remainder remainder;
    private final int window;
    private final int[] order;

    EpochPlan(long[] shardSamples, long seed, long epoch, boolean shuffle, Remainder remainder, int window) {
        this.shardSamples = shardSamples.clone();
        this.sampleBase = new long[shardSamples.length + 1];
        for (int i = 0; i < shardSamples.length; i++) {
            if (shardSamples[i] > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("shard " + i + " has more than 2^31 samples");
            }
            sampleBase[i + 1] = sampleBase[i] + shardSamples[i];
        }
        this.seed = seed;
        this.epoch = epoch;
        this.shuffle = shuffle;
        this.remainder = remainder;
        this.window = window;
        this.order = new int[shardSamples.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        if (shuffle) {
            Rng rng = new Rng(Rng.derive(seed, epoch, 0x5348415244L));
            for (int i = order.length - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
    }

    /** Shard indices (manifest order) in this epoch's order. */
    int[] shardOrder() {
        return order.clone();
    }

    /** Samples in the epoch before anything is consumed. */
    long totalSamples() {
        return sampleBase[shardSamples.length];
    }

    /** Global sample id (position in manifest order) of a shard-local index. */
    long sampleId(int shard, int local) {
        return sampleBase[shard] + local;
    }

    /** Samples each rank gets in a segment that starts with {@code remaining} samples left. */
    long perRank(long remaining, int world) {
        return remainder == Remainder.DROP ? remaining / world : (remaining + world - 1) / world;
    }

    /** Samples rank {@code rank} gets in a segment that starts with {@code remaining} samples left. */
    long rankSamples(long remaining, int world, int rank) {
        long[] blk = block(remaining, world, rank);
        return blk[1] - blk[0];
    }

    /** Epoch-order positions {@code [from, to)} of a rank's block. */
    private long[] block(long remaining, int world, int rank) {
        if (remainder == Remainder.UNEVEN) {
            return new long[] {rank * remaining / world, (rank + 1) * remaining / world};
        }
        long per = perRank(remaining, world);
        return new long[] {rank * per, rank * per + per};
    }

    /** Seed of the mixer of one rank in one segment. */
    long mixerSeed(int segment, int rank) {
        return Rng.derive(seed, epoch, 0x4D4958L, segment, rank);
    }

    /**
     * The runs of {@code rank} for the current segment, after the completed segments.
     *
     * @param completed earlier segments of this epoch, each under its own world size
     */
    Plan plan(List<LoaderState.Segment> completed, int world, int rank) {
        if (rank < 0 || rank >= world) {
            throw new IllegalArgumentException("rank " + rank + " outside world of size " + world);
        }
        BitSet consumed = completed.isEmpty() ? null : replay(completed);
        return new Plan(runs(consumed, world, rank), completed.size());
    }

    /** Runs of one rank plus the index of the segment they belong to. */
    record Plan(List<Run> runs, int segment) {
        long samples() {
            long n = 0;
            for (Run r : runs) {
                n += r.count();
            }
            return n;
        }
    }

    /**
     * Where rank {@code rank} of {@code world} stands in {@code state}: its runs for the current
     * segment and a mixer that has already drawn the samples the state says were consumed in it.
     *
     * @param window shards open at once (the plan's own window is used for replaying earlier segments)
     * @throws IllegalArgumentException if the state does not fit this plan (not lockstep, too many samples)
     */
    Cursor resume(LoaderState state, int world, int rank) {
        long inCurrent = state.consumedInCurrent(world);
        if (inCurrent % world != 0) {
            throw new IllegalArgumentException("loader state consumed " + inCurrent + " samples with " + world
                    + " ranks, not a multiple of the world size: the state is not from lockstep ranks");
        }
        Plan p = plan(state.completed(world), world, rank);
        SampleMixer mixer = new SampleMixer(p.runs(), window, shuffle, mixerSeed(p.segment(), rank));
        long skip = inCurrent / world;
        if (skip > p.samples()) {
            throw new IllegalArgumentException("loader state says " + skip + " samples per rank were consumed but"
                    + " rank " + rank + "'s share of the epoch has only " + p.samples()
                    + "; was the state saved for another dataset or loader configuration?");
        }
        boolean[] done = new boolean[p.runs().size()];
        for (long i = 0; i < skip; i++) {
            mixer.next();
            if (mixer.closedRun() >= 0) {
                done[mixer.closedRun()] = true;
            }
        }
        return new Cursor(p, mixer, done, skip);
    }

    /**
     * A rank positioned in its segment.
     *
     * @param plan the rank's runs in this segment
     * @param mixer the shuffle, past the skipped samples
     * @param done runs used up while skipping (never fetched)
     * @param skipped samples of this segment the state says this rank already consumed
     */
    record Cursor(Plan plan, SampleMixer mixer, boolean[] done, long skipped) {
        /** Samples still to draw. */
        long left() {
            return plan.samples() - skipped;
        }
    }

    private BitSet replay(List<LoaderState.Segment> completed) {
        if (totalSamples() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("the split has " + totalSamples() + " samples; resuming under a"
                    + " different world size supports at most 2^31-1 samples per split (resume with the same"
                    + " number of ranks, or split the data into several splits)");
        }
        BitSet consumed = new BitSet((int) totalSamples());
        for (int k = 0; k < completed.size(); k++) {
            LoaderState.Segment seg = completed.get(k);
            int w = seg.worldSize();
            if (seg.consumed() % w != 0) {
                throw new IllegalArgumentException("segment " + k + " consumed " + seg.consumed()
                        + " samples, not a multiple of its world size " + w + ": the state is not from lockstep ranks");
            }
            long each = seg.consumed() / w;
            BitSet before = (BitSet) consumed.clone();
            for (int r = 0; r < w; r++) {
                List<Run> runs = runs(k == 0 ? null : before, w, r);
                SampleMixer mixer = new SampleMixer(runs, window, shuffle, mixerSeed(k, r));
                for (long i = 0; i < each; i++) {
                    if (!mixer.hasNext()) {
                        throw new IllegalArgumentException("segment " + k + " claims " + each
                                + " samples per rank but rank " + r + " had fewer");
                    }
                    mixer.next();
                    consumed.set(Math.toIntExact(sampleId(runs.get(mixer.lastRun()).shard(), mixer.lastLocal())));
                }
            }
        }
        return consumed;
    }

    /** Remaining samples of a shard in stored order (all when nothing is consumed). */
    private int remainingIn(int shard, BitSet consumed) {
        if (consumed == null) {
            return (int) shardSamples[shard];
        }
        int base = (int) sampleBase[shard];
        int n = (int) shardSamples[shard];
        return n - consumed.get(base, base + n).cardinality();
    }

    private List<Run> runs(BitSet consumed, int world, int rank) {
        long remaining = 0;
        for (int s : order) {
            remaining += remainingIn(s, consumed);
        }
        List<Run> out = new ArrayList<>();
        if (remaining == 0) {
            return out;
        }
        long[] blk = block(remaining, world, rank);
        long from = blk[0];
        long to = blk[1];
        // positions past the end wrap around (only with WRAP)
        while (from < to) {
            long a = from % remaining;
            long b = Math.min(to - (from - a), remaining);
            collect(consumed, a, b, out);
            from += b - a;
        }
        return out;
    }

    /** Appends runs covering epoch-order positions {@code [a, b)}. */
    private void collect(BitSet consumed, long a, long b, List<Run> out) {
        long pos = 0;
        for (int s : order) {
            int n = remainingIn(s, consumed);
            long lo = Math.max(a, pos);
            long hi = Math.min(b, pos + n);
            if (lo < hi) {
                int first = (int) (lo - pos);
                int count = (int) (hi - lo);
                if (consumed == null) {
                    out.add(Run.contiguous(s, first, count));
                } else {
                    int[] locals = new int[count];
                    int base = (int) sampleBase[s];
                    int seen = 0;
                    int k = 0;
                    for (int i = 0; i < shardSamples[s] && k < count; i++) {
                        if (!consumed.get(base + i)) {
                            if (seen >= first) {
                                locals[k++] = i;
                            }
                            seen++;
                        }
                    }
                    out.add(Run.listed(s, locals));
                }
            }
            pos += n;
            if (pos >= b) {
                break;
            }
        }
    }
}
