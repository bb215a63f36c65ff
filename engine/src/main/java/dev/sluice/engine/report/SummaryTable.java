package dev.sluice.engine.report;

import java.util.Locale;

/**
 * The end-of-run table of epochs, as plain text:
 *
 * <pre>
 * epoch  train loss  train acc  eval loss  eval acc  seconds  samples/s  data wait
 *     1      0.6931     0.5120     0.5012    0.8100     12.3     10,234       1.5%
 * </pre>
 *
 * Values that were not measured (no evaluation split) show as {@code -}.
 */
public final class SummaryTable {

    private static final String HEADER_FORMAT = "%5s  %10s  %9s  %9s  %8s  %7s  %9s  %9s";

    private SummaryTable() {}

    /** The table, one line per epoch after a header; a final line for the run's test accuracy if logged. */
    public static String render(RunMetrics metrics) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, HEADER_FORMAT, "epoch", "train loss", "train acc", "eval loss",
                "eval acc", "seconds", "samples/s", "data wait")).append('\n');
        for (RunMetrics.Epoch e : metrics.epochs()) {
            sb.append(String.format(Locale.ROOT, HEADER_FORMAT, e.epoch(), fixed(e.trainLoss(), 4),
                    fixed(e.trainAccuracy(), 4), fixed(e.evalLoss(), 4), fixed(e.evalAccuracy(), 4),
                    fixed(e.seconds(), 1), grouped(e.samplesPerSecond()), percent(e.dataWaitFraction())))
                    .append('\n');
        }
        if (metrics.epochs().isEmpty()) {
            sb.append("(no epoch finished)\n");
        }
        RunMetrics.Summary s = metrics.summary();
        if (s != null && Double.isFinite(s.testAccuracy())) {
            sb.append(String.format(Locale.ROOT, "%s accuracy %.4f on %,d samples after %,d steps, %.1f s%n",
                    s.evalSplit() == null ? "evaluation" : s.evalSplit(), s.testAccuracy(), s.evalSamples(),
                    s.steps(), s.seconds()));
        }
        if (metrics.malformedLines() > 0) {
            sb.append(String.format(Locale.ROOT,
                    "(%d malformed line(s) in the metrics file were skipped, e.g. torn by an interrupted run)%n",
                    metrics.malformedLines()));
        }
        return sb.toString();
    }

    private static String fixed(double v, int decimals) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%." + decimals + "f", v) : "-";
    }

    private static String grouped(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%,.0f", v) : "-";
    }

    private static String percent(double fraction) {
        return Double.isFinite(fraction) ? String.format(Locale.ROOT, "%.1f%%", fraction * 100) : "-";
    }
}
