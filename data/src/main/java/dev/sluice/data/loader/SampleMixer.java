package dev.sluice.data.loader;

import java.util.List;

/**
 * The bounded shuffle: keeps up to {@code window} runs open and draws each next sample uniformly
 * among the samples remaining in all open runs; when a run is used up the next one in plan order
 * opens. Works on indices only, so the same process both drives the loader and replays a state
 * without touching data. Memory: the open runs' index arrays.
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
    private int openCount;
    private int nextRun;
    private long total;
    private int lastRun = -1;
    private int lastLocal = -1;
    private int closedRun = -1;

    /** @param runs the rank's runs in plan order; none may be empty */
    SampleMixer(List<Run> runs, int window, boolean shuffle, long seed) {
        this.runs = runs;
        this.window = shuffle ? Math.max(1, window) : 1;
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

    private void openNext(int slot) {
        Run r = runs.get(nextRun);
        open[slot] = nextRun++;
        int[] idx = new int[r.count()];
        for (int j = 0; j < idx.length; j++) {
            idx[j] = r.local(j);
        }
        remaining[slot] = idx;
        left[slot] = idx.length;
        cursor[slot] = 0;
        total += idx.length;
    }

    boolean hasNext() {
        return total > 0;
    }

    /** Draws the next sample; read it with {@link #lastRun()} and {@link #lastLocal()}. */
    void next() {
        closedRun = -1;
        int slot;
        int pos;
        if (shuffle) {
            long u = rng.nextInt((int) Math.min(total, Integer.MAX_VALUE));
            slot = 0;
            while (u >= left[slot]) {
                u -= left[slot];
                slot++;
            }
            pos = (int) u;
            lastLocal = remaining[slot][pos];
            remaining[slot][pos] = remaining[slot][left[slot] - 1];
        } else {
            slot = 0;
            while (left[slot] == 0) {
                slot++;
            }
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
}
