package dev.sluice.engine.cli;

import dev.sluice.data.ingest.IngestProgress;
import java.util.Locale;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** Renders {@link IngestProgress} as a console progress bar: inputs/s, MB/s and, when the total is known, ETA. */
final class IngestProgressBar implements IngestProgress, AutoCloseable {

    private final String unit;
    private ProgressBar bar;
    private long startNanos;
    private long lastExtra;

    /** @param unit what an input is, e.g. " files" or " samples" */
    IngestProgressBar(String unit) {
        this.unit = unit;
    }

    @Override
    public void start(String split, long inputs) {
        close();
        startNanos = System.nanoTime();
        bar = new ProgressBarBuilder().setTaskName("ingest " + split).setInitialMax(inputs)
                .setStyle(ProgressBarStyle.ASCII).setUnit(unit, 1).showSpeed().setMaxRenderedLength(110)
                .build();
    }

    @Override
    public void update(long inputsDone, long sourceBytes) {
        bar.stepTo(inputsDone);
        long now = System.nanoTime();
        if (now - lastExtra > 500_000_000L) {
            lastExtra = now;
            double s = Math.max(1e-9, (now - startNanos) / 1e9);
            bar.setExtraMessage(String.format(Locale.ROOT, " %.1f MB/s", sourceBytes / 1e6 / s));
        }
    }

    @Override
    public void finish(String split) {
        close();
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
