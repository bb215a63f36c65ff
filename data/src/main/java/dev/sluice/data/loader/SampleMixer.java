package dev.sluice.data.loader;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;

/**
 * The bounded shuffle: keeps up to {@code window} runs open and draws each next sample uniformly
 * among the samples remaining in all open runs; when a run is used up the next one in plan order
 * opens. Works on indices only, so the same process both drives the loader and replays a state
 * without touching data.
 *
 * <p>The draw rule, exactly (docs/LOADER.md "Bounded shuffle"): open slots are kept in plan order;
 * slot {@code s} holds its run's remaining local indices {@code rem[s][0..left[s])}, initially the
 * run's samples in run order. A draw takes {@code u = nextInt(total)}, walks the slots subtracting
 * {@code left[s]} until {@code u < left[s]}, delivers {@code rem[s][u]} and moves
 * {@code rem[s][left[s]-1]} into its place. A slot that becomes empty is removed (later slots move
 * down one) and the next run in plan order, if any, opens in the last slot.
 *
 * <p>Memory: the open runs' index arrays, at most {@code window} arrays of a run's size each,
 * reused from run to run.
 */
final class SampleMixer {

    private final List<Run> runs;
    private final int window;
    private final boolean shuffle;
    private final Rng rng;
    private final int[] open;          // run ordinals of open runs
    private final int[][] remaining;   // per open slot, remaining local indices
    private final int[] left;          // per open slot, how many remain
    private final int[] cursor;        // per open slot, next position when not shuffling
    private final ArrayDeque<int[]> spare = new ArrayDeque<>();
    private int openCount;
    private int nextRun;
    private long total;
    private int lastRun = -1;
    private int lastLocal = -1;
    private int closedRun = -1;

    /**
     * @param runs the rank's runs in plan order; none may be empty
     * @throws IllegalArgumentException if {@code window} runs of these sizes could hold more samples
     *     than one draw can address (see {@link #checkWindow})
     */
    SampleMixer(List<Run> runs, int window, boolean shuffle, long seed) {
        this.runs = runs;
        this.window = shuffle ? Math.max(1, window) : 1;
        if (shuffle) {
            long[] counts = new long[runs.size()];
            for (int i = 0; i < counts.length; i++) {
                counts[i] = runs.get(i).count();
            }
            checkWindow(counts, this.window); // before any index array is allocated
        }
        this.shuffle = shuffle;
        this.rng = new Rng(seed);
        this.open = new int[this.window];
        this.remaining = new int[this.window][];
        this.left = new int[this.window];
        this.cursor = new int[this.window];
        while (openCount < this.window && nextRun < runs.size()) {
            openNext(openCount++);
        }
    }

    /**
     * Fails unless every set of {@code window} open runs holds at most {@code 2^31 - 1} samples, the
     * largest bound of the draw ({@code nextInt}, docs/LOADER.md). The sum of the {@code window}
     * largest counts bounds what can be open at once whatever the draws.
     *
     * @param counts samples per run (or per shard)
     * @throws IllegalArgumentException naming the window, the bound reached and what to change
     */
    static void checkWindow(long[] counts, int window) {
        long[] sorted = counts.clone();
        Arrays.sort(sorted);
        long open = 0;
        int w = Math.min(window, sorted.length);
        for (int i = 0; i < w; i++) {
            open += sorted[sorted.length - 1 - i];
        }
        if (open > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a shuffle window of " + window + " shards can hold " + open
                    + " samples at once (the " + w + " largest shards' sample counts added up), more than the"
                    + " 2^31 - 1 a shuffle draw can address; use a smaller shuffle window (at most "
                    + maxWindow(sorted) + " for this split) or write the dataset with smaller shards");
        }
    }

    /** The largest window whose open runs can never exceed 2^31 - 1 samples ({@code sorted} ascending). */
    private static int maxWindow(long[] sorted) {
        long open = 0;
        int w = 0;
        while (w < sorted.length && open + sorted[sorted.length - 1 - w] <= Integer.MAX_VALUE) {
            open += sorted[sorted.length - 1 - w];
            w++;
        }
        return w;
    }

    private void openNext(int slot) {
        Run r = runs.get(nextRun);
        open[slot] = nextRun++;
        int n = r.count();
        int[] idx = spare.poll();
        if (idx == null || idx.length < n) {
            idx = new int[n];
        }
        for (int j = 0; j < n; j++) {
            idx[j] = r.local(j);
        }
        remaining[slot] = idx;
        left[slot] = n;
        cursor[slot] = 0;
        total += n;
    }

    boolean hasNext() {
        return total > 0;
    }

    /** Draws the next sample; read it with {@link #lastRun()} and {@link #lastLocal()}. */
    void next() {
        closedRun = -1;
        int slot;
        if (shuffle) {
            // checkWindow made sure total <= 2^31 - 1, the largest bound nextInt takes
            long u = rng.nextInt((int) total);
            slot = 0;
            while (u >= left[slot]) {
                u -= left[slot];
                slot++;
            }
            int pos = (int) u;
            lastLocal = remaining[slot][pos];
            remaining[slot][pos] = remaining[slot][left[slot] - 1];
        } else {
            slot = 0;
            lastLocal = remaining[slot][cursor[slot]++];
        }
        lastRun = open[slot];
        left[slot]--;
        total--;
        if (left[slot] == 0) {
            closedRun = open[slot];
            close(slot);
        }
    }

    private void close(int slot) {
        spare.push(remaining[slot]);
        // keep open slots packed and in plan order so the draw stays deterministic
        for (int s = slot; s < openCount - 1; s++) {
            open[s] = open[s + 1];
            remaining[s] = remaining[s + 1];
            left[s] = left[s + 1];
            cursor[s] = cursor[s + 1];
        }
        openCount--;
        remaining[openCount] = null;
        left[openCount] = 0;
        if (nextRun < runs.size()) {
            openNext(openCount++);
        }
    }

    /** Run ordinal of the last drawn sample. */
    int lastRun() {
        return lastRun;
    }

    /** Local index (within its shard) of the last drawn sample. */
    int lastLocal() {
        return lastLocal;
    }

    /** Run ordinal that the last draw used up, or -1. */
    int closedRun() {
        return closedRun;
    }

    /** Ordinal of the next run to open (runs below it are open or done). */
    int openedUpTo() {
        return nextRun;
    }

    /** Samples in the shuffle buffer now: not yet drawn from the open runs. */
    long openSamples() {
        return total;
    }

    /** Runs open now (at most the window). */
    int openRuns() {
        return openCount;
    }
}
