package dev.sluice.data.loader;

import com.google.gson.Gson;
import com.google.gson.JsonParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a loader is in its epoch: seed, epoch, and the samples consumed globally, split into
 * segments by the world size they were consumed under (a job resumed on another number of ranks
 * starts a new segment). A small value saved with every checkpoint; resuming from it replays
 * nothing and skips nothing.
 *
 * @param seed base seed of the order
 * @param epoch epoch number, from 0
 * @param segments consumption so far this epoch; the last one is the current segment
 */
public record LoaderState(long seed, long epoch, List<Segment> segments) {

    private static final Gson GSON = new Gson();

    /**
     * Samples consumed by all ranks together while the job ran with {@code worldSize} ranks.
     *
     * @param worldSize ranks during this segment
     * @param consumed samples consumed by all ranks together (a multiple of {@code worldSize})
     */
    public record Segment(int worldSize, long consumed) {}

    public LoaderState {
        segments = List.copyOf(segments);
    }

    /** The start of an epoch. */
    public static LoaderState start(long seed, long epoch) {
        return new LoaderState(seed, epoch, List.of());
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
        return new LoaderState(seed, epoch, out);
    }

    /** The start of the next epoch. */
    public LoaderState nextEpoch() {
        return start(seed, epoch + 1);
    }

    /** Compact JSON, e.g. {@code {"seed":1,"epoch":0,"segments":[{"worldSize":4,"consumed":512}]}}. */
    public String toJson() {
        return GSON.toJson(this);
    }

    /**
     * Parses {@link #toJson()} output.
     *
     * @throws IllegalArgumentException if the text is not a loader state
     */
    public static LoaderState fromJson(String json) {
        try {
            LoaderState s = GSON.fromJson(json, LoaderState.class);
            if (s == null || s.segments() == null) {
                throw new IllegalArgumentException("not a loader state: " + json);
            }
            return new LoaderState(s.seed(), s.epoch(), s.segments());
        } catch (JsonParseException e) {
            throw new IllegalArgumentException("not a loader state: " + json, e);
        }
    }
}
