package dev.sluice.engine.cli;

import dev.sluice.data.ingest.IngestProgress;
import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Shows {@link IngestProgress}: on a terminal a bar redrawn in place, otherwise (a log file, a pipe)
 * one whole line at the start, every {@link #LINE_EVERY_SECONDS} seconds and at the end, with no
 * carriage returns. Both show the percentage and the bar from the same count of inputs, inputs/s and
 * MB/s, and an ETA once a rate has been measured for {@link #RATE_AFTER_SECONDS} (a rate over the
 * first milliseconds is noise, and so is an ETA from it).
 */
final class IngestProgressBar implements IngestProgress, AutoCloseable {

    /** Without a terminal, a progress line this often (the trainer's Console uses the same period). */
    static final double LINE_EVERY_SECONDS = 5;
    /** No rate and no ETA before this many seconds of reading. */
    static final double RATE_AFTER_SECONDS = 1;
    /** Characters between the bar's brackets. */
    static final int BAR_WIDTH = 30;
    /** A terminal bar is redrawn at most this often. */
    private static final long REDRAW_NANOS = 200_000_000L;

    private final String unit;
    private final boolean bar;
    private final PrintStream out;
    private final LongSupplier clock;

    private String split;
    private long total;
    private long t0;
    private long lastShown;
    /** The count as last shown, so that the end is not printed twice in a log. */
    private long shownDone;
    private long done;
    private long bytes;
    /** Inputs done, and when, before the first byte was read: inputs a resumed ingest skips are no work. */
    private long baseDone;
    private long baseNanos;
    /** Length of the bar as last drawn, to blank what a shorter redraw leaves. */
    private int drawn;
    private boolean open;

    /**
     * @param unit what an input is, e.g. "files" or "samples"
     * @param bar a bar redrawn in place (a terminal) rather than lines
     */
    IngestProgressBar(String unit, boolean bar) {
        this(unit, bar, System.err, System::nanoTime);
    }

    /** As above, printing to {@code out} and timed by {@code clock} (nanoseconds; tests). */
    IngestProgressBar(String unit, boolean bar, PrintStream out, LongSupplier clock) {
        this.unit = unit;
        this.bar = bar;
        this.out = out;
        this.clock = clock;
    }

    @Override
    public void start(String split, long inputs) {
        close();
        this.split = split;
        this.total = inputs;
        this.t0 = clock.getAsLong();
        this.baseNanos = t0;
        this.baseDone = 0;
        this.done = 0;
        this.bytes = 0;
        this.drawn = 0;
        this.open = true;
        show(t0);
    }

    @Override
    public void update(long inputsDone, long sourceBytes) {
        long now = clock.getAsLong();
        done = inputsDone;
        bytes = sourceBytes;
        if (sourceBytes == 0) {
            baseDone = inputsDone;
            baseNanos = now;
        }
        long every = bar ? REDRAW_NANOS : (long) (LINE_EVERY_SECONDS * 1e9);
        if (now - lastShown >= every) {
            show(now);
        }
    }

    @Override
    public void finish(String split) {
        if (open && (bar || shownDone != done)) {
            show(clock.getAsLong());
        }
        close();
    }

    /** Ends a bar's line, so that what is printed next (an error, the summary) starts on its own line. */
    @Override
    public void close() {
        if (open && bar && drawn > 0) {
            out.println();
            out.flush();
        }
        open = false;
    }

    private void show(long now) {
        lastShown = now;
        shownDone = done;
        String s = render(now);
        if (bar) {
            out.print("\r" + s + " ".repeat(Math.max(0, drawn - s.length())));
            drawn = s.length();
        } else {
            out.println(s);
        }
        out.flush();
    }

    /** The status at {@code now}: percentage and bar (total known), count, rates and ETA (rate known). */
    String render(long now) {
        StringBuilder sb = new StringBuilder("ingest ").append(split);
        if (total >= 0) {
            long pct = total == 0 ? 100 : done * 100 / total;
            sb.append(String.format(Locale.ROOT, " %3d%%", pct));
            if (bar) {
                int filled = total == 0 ? BAR_WIDTH : (int) (done * BAR_WIDTH / total);
                sb.append(" [").append("=".repeat(filled)).append(" ".repeat(BAR_WIDTH - filled)).append(']');
            }
            sb.append(String.format(Locale.ROOT, "  %,d/%,d %s", done, total, unit));
        } else {
            sb.append(String.format(Locale.ROOT, "  %,d %s", done, unit));
        }
        double secs = (now - baseNanos) / 1e9;
        if (secs >= RATE_AFTER_SECONDS && done > baseDone) {
            double rate = (done - baseDone) / secs;
            sb.append(String.format(Locale.ROOT, "  %,.1f %s/s  %,.1f MB/s", rate, unit, bytes / 1e6 / secs));
            if (total >= 0) {
                sb.append("  elapsed ").append(clockTime((now - t0) / 1e9));
                sb.append(done >= total ? "" : "  ETA " + clockTime((total - done) / rate));
            }
        } else if (bar) {
            sb.append("  ? ").append(unit).append("/s");
        }
        return sb.toString();
    }

    /** H:MM:SS. */
    static String clockTime(double seconds) {
        long s = Math.round(seconds);
        return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    }
}
