package dev.sluice.data.loader;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a loader is in its epoch: seed, epoch, and the samples consumed globally, split into
 * segments by the world size they were consumed under (a job resumed on another number of ranks
 * starts a new segment). A small value saved with every checkpoint; resuming from it replays
 * nothing and skips nothing. docs/LOADER.md "Loader state" gives the JSON form.
 *
 * @param seed base seed of the order
 * @param epoch epoch number, from 0
 * @param segments consumption so far this epoch; the last one is the current segment
 * @param plan what the order depends on besides seed, epoch and world size (shuffle, window,
 *     remainder, the split's shard sizes), as {@link Loader#planId()} writes it; a loader refuses a
 *     state whose plan differs from its own, because replaying it under another plan would repeat
 *     and skip samples. Null when not known (a fresh {@link #start}), which any loader accepts.
 */
public record LoaderState(long seed, long epoch, List<Segment> segments, String plan) {

    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

    /**
     * Samples consumed by all ranks together while the job ran with {@code worldSize} ranks.
     *
     * @param worldSize ranks during this segment
     * @param consumed samples consumed by all ranks together (a multiple of {@code worldSize})
     */
    public record Segment(int worldSize, long consumed) {
        public Segment {
            if (worldSize <= 0 || consumed < 0) {
                throw new IllegalArgumentException("a loader state segment needs worldSize >= 1 and consumed >= 0,"
                        + " got worldSize=" + worldSize + " consumed=" + consumed);
            }
        }
    }

    public LoaderState {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must be >= 0, got " + epoch);
        }
        if (segments == null) {
            throw new IllegalArgumentException("a loader state needs a segments list (empty at the start of an epoch)");
        }
        segments = List.copyOf(segments);
    }

    /** A state without a plan fingerprint. */
    public LoaderState(long seed, long epoch, List<Segment> segments) {
        this(seed, epoch, segments, null);
    }

    /** The start of an epoch. */
    public static LoaderState start(long seed, long epoch) {
        return new LoaderState(seed, epoch, List.of(), null);
    }

    /** Samples consumed globally this epoch. */
    public long consumed() {
        long n = 0;
        for (Segment s : segments) {
            n += s.consumed();
        }
        return n;
    }

    /** Segments completed under other world sizes (all but the current one). */
    List<Segment> completed(int worldSize) {
        if (!segments.isEmpty() && segments.get(segments.size() - 1).worldSize() == worldSize) {
            return segments.subList(0, segments.size() - 1);
        }
        return segments;
    }

    /** Samples consumed in the current segment if the job continues with {@code worldSize} ranks. */
    long consumedInCurrent(int worldSize) {
        if (!segments.isEmpty() && segments.get(segments.size() - 1).worldSize() == worldSize) {
            return segments.get(segments.size() - 1).consumed();
        }
        return 0;
    }

    /** This state after {@code samples} more were consumed globally with {@code worldSize} ranks. */
    public LoaderState advance(int worldSize, long samples) {
        List<Segment> out = new ArrayList<>(segments);
        if (!out.isEmpty() && out.get(out.size() - 1).worldSize() == worldSize) {
            Segment last = out.remove(out.size() - 1);
            out.add(new Segment(worldSize, last.consumed() + samples));
        } else if (samples > 0) {
            out.add(new Segment(worldSize, samples));
        }
        return new LoaderState(seed, epoch, out, plan);
    }

    /** This state with the plan fingerprint set. */
    public LoaderState withPlan(String planId) {
        return new LoaderState(seed, epoch, segments, planId);
    }

    /** The start of the next epoch. */
    public LoaderState nextEpoch() {
        return start(seed, epoch + 1);
    }

    /**
     * Compact JSON, e.g. {@code {"seed":1,"epoch":0,"segments":[{"worldSize":4,"consumed":512}],
     * "plan":"shuffle window=4 remainder=drop shards=19 samples=2048 counts=d69c8780"}} ({@code plan}
     * left out when null).
     */
    public String toJson() {
        return GSON.toJson(this);
    }

    /**
     * Parses {@link #toJson()} output. Unknown fields are ignored.
     *
     * @throws IllegalArgumentException if the text is not a loader state
     */
    public static LoaderState fromJson(String json) {
        LoaderState s;
        try {
            s = GSON.fromJson(json, LoaderState.class);
        } catch (RuntimeException e) {
            // malformed JSON (JsonParseException), or a field the record constructor rejected, which
            // Gson wraps in a plain RuntimeException: report the constructor's reason
            Throwable why = e instanceof JsonParseException || e.getCause() == null ? e : e.getCause();
            throw new IllegalArgumentException("not a loader state: " + json + " (" + why.getMessage() + ")", e);
        }
        if (s == null) {
            throw new IllegalArgumentException("not a loader state: " + json);
        }
        return s;
    }
}
