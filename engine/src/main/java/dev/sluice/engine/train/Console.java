package dev.sluice.engine.train;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * What a person watching the run sees: the run directory, a progress bar per epoch (samples/s,
 * loss, ETA) or, when output is not a terminal, a progress line every quarter epoch and at least
 * every {@link #LINE_EVERY_SECONDS} seconds (so a log shows life within seconds, not after a
 * quarter of a long epoch); a summary per epoch and at the end.
 */
final class Console {

    /** Without a terminal, a progress line at least this often. */
    static final double LINE_EVERY_SECONDS = 5;

    private final PrintStream out;
    private final PrintStream human;
    private final boolean bar;
    private final boolean json;
    private final boolean quiet;
    private final LongSupplier nanoClock;

    Console(PrintStream out, boolean bar, boolean json) {
        this(out, out, bar, json, false, System::nanoTime);
    }

    /**
     * A console whose JSON lines go to {@code out} and every other line to {@code human}; with
     * {@code --json} the CLI passes stderr there, so stdout holds JSON lines only.
     */
    Console(PrintStream out, PrintStream human, boolean bar, boolean json) {
        this(out, human, bar, json, false, System::nanoTime);
    }

    /** As above, with the clock the progress lines are timed by (tests). */
    Console(PrintStream out, boolean bar, boolean json, LongSupplier nanoClock) {
        this(out, out, bar, json, false, nanoClock);
    }

    private Console(PrintStream out, PrintStream human, boolean bar, boolean json, boolean quiet,
                    LongSupplier nanoClock) {
        this.out = out;
        this.human = human;
        this.bar = bar;
        this.json = json;
        this.quiet = quiet;
        this.nanoClock = nanoClock;
    }

    /** A console that prints nothing (replicas other than the chief). */
    Console quiet() {
        return new Console(out, human, false, false, true, nanoClock);
    }

    void line(String s) {
        if (quiet) {
            return;
        }
        human.println(s);
        human.flush();
    }

    /** A status line that does not disturb a progress bar being drawn (goes to stderr then). */
    void status(String s) {
        if (quiet) {
            return;
        }
        if (bar) {
            System.err.println(s);
        } else {
            line(s);
        }
    }

    void json(String s) {
        if (json && !quiet) {
            out.println(s);
            out.flush();
        }
    }

    /**
     * Progress of one epoch.
     *
     * @param already steps of this epoch trained before this run (a resume mid-epoch), counted as done
     * @param steps steps this run will take in the epoch
     */
    Progress epoch(int epoch, int epochs, long already, long steps, int samplesPerStep) {
        return new Progress(epoch, epochs, already, steps, samplesPerStep);
    }

    final class Progress implements AutoCloseable {
        private final ProgressBar pb;
        private final String name;
        private final long already;
        private final long total;
        private final int samplesPerStep;
        private final long t0 = nanoClock.getAsLong();
        private long lastLine = t0;
        private long done;
        private int quarter;

        Progress(int epoch, int epochs, long already, long steps, int samplesPerStep) {
            this.name = "epoch " + epoch + "/" + epochs;
            this.already = already;
            this.total = already + steps;
            this.done = already;
            this.quarter = total == 0 ? 0 : (int) (already * 4 / total);
            this.samplesPerStep = samplesPerStep;
            this.pb = bar && !quiet ? new ProgressBarBuilder().setTaskName(name).setInitialMax(total)
                    .startsFrom(already, java.time.Duration.ZERO)
                    .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250).setUnit(" steps", 1)
                    .setMaxRenderedLength(110).build() : null;
        }

        void step(double loss) {
            done++;
            long now = nanoClock.getAsLong();
            double secs = (now - t0) / 1e9;
            long here = done - already;
            double rate = here * samplesPerStep / Math.max(secs, 1e-9);
            if (pb != null) {
                pb.step();
                pb.setExtraMessage(message(loss, rate));
                return;
            }
            boolean nextQuarter = total > 0 && done * 4 / total > quarter;
            if (!quiet && total > 0 && (nextQuarter || (now - lastLine) / 1e9 >= LINE_EVERY_SECONDS)) {
                quarter = (int) (done * 4 / total);
                lastLine = now;
                double eta = secs / here * (total - done);
                line(String.format(Locale.ROOT, "%s  %3d%%  step %d/%d  %s  ETA %.0fs", name, done * 100 / total,
                        done, total, message(loss, rate), eta));
            }
        }

        // formatted only when shown: this runs on the training thread after every step
        private static String message(double loss, double rate) {
            return String.format(Locale.ROOT, "loss %.4f | %,.0f samples/s", loss, rate);
        }

        @Override
        public void close() {
            if (pb != null) {
                pb.close();
            }
        }
    }
}
