package dev.sluice.engine.train;

import java.io.PrintStream;
import java.util.Locale;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * What a person watching the run sees: the run directory, a progress bar per epoch (samples/s,
 * loss, ETA) or, when output is not a terminal, a line every quarter epoch; a summary per epoch
 * and at the end.
 */
final class Console {

    private final PrintStream out;
    private final boolean bar;
    private final boolean json;
    private final boolean quiet;

    Console(PrintStream out, boolean bar, boolean json) {
        this(out, bar, json, false);
    }

    private Console(PrintStream out, boolean bar, boolean json, boolean quiet) {
        this.out = out;
        this.bar = bar;
        this.json = json;
        this.quiet = quiet;
    }

    /** A console that prints nothing (replicas other than the chief). */
    Console quiet() {
        return new Console(out, false, false, true);
    }

    void line(String s) {
        if (quiet) {
            return;
        }
        out.println(s);
        out.flush();
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

    /** Progress of one epoch. */
    Progress epoch(int epoch, int epochs, long steps, int samplesPerStep) {
        return new Progress(epoch, epochs, steps, samplesPerStep);
    }

    final class Progress implements AutoCloseable {
        private final ProgressBar pb;
        private final String name;
        private final long steps;
        private final int samplesPerStep;
        private final long t0 = System.nanoTime();
        private long done;
        private int quarter;

        Progress(int epoch, int epochs, long steps, int samplesPerStep) {
            this.name = "epoch " + epoch + "/" + epochs;
            this.steps = steps;
            this.samplesPerStep = samplesPerStep;
            this.pb = bar && !quiet ? new ProgressBarBuilder().setTaskName(name).setInitialMax(steps)
                    .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250).setUnit(" steps", 1)
                    .setMaxRenderedLength(110).build() : null;
        }

        void step(double loss) {
            done++;
            double secs = (System.nanoTime() - t0) / 1e9;
            double rate = done * samplesPerStep / Math.max(secs, 1e-9);
            String msg = String.format(Locale.ROOT, "loss %.4f | %,.0f samples/s", loss, rate);
            if (pb != null) {
                pb.step();
                pb.setExtraMessage(msg);
            } else if (!quiet && steps > 0 && done * 4 / steps > quarter) {
                quarter = (int) (done * 4 / steps);
                double eta = secs / done * (steps - done);
                line(String.format(Locale.ROOT, "%s  %3d%%  step %d/%d  %s  ETA %.0fs", name, done * 100 / steps,
                        done, steps, msg, eta));
            }
        }

        @Override
        public void close() {
            if (pb != null) {
                pb.close();
            }
        }
    }
}
