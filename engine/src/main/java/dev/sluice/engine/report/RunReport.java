package dev.sluice.engine.report;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * What a finished (or resumed) run leaves for people: PNG charts in the run directory and a text
 * table of its epochs, both built from the run's {@code metrics.jsonl}.
 *
 * <pre>{@code
 * RunReport report = RunReport.write(runDir);   // loss.png, accuracy.png, throughput.png, step_time.png
 * System.out.print(report.table());
 * }</pre>
 *
 * @param table the epoch table ({@link SummaryTable})
 * @param plots the PNG files written ({@link RunPlots})
 * @param metrics what was read from the metrics file
 */
public record RunReport(String table, List<Path> plots, RunMetrics metrics) {

    /** Name of the metrics file in a run directory. */
    public static final String METRICS_FILE = "metrics.jsonl";

    public RunReport {
        plots = List.copyOf(plots);
    }

    /**
     * Reads {@code runDir/metrics.jsonl}, writes the charts into {@code runDir} and renders the table.
     *
     * @throws java.nio.file.NoSuchFileException when the run directory has no metrics file
     * @throws IOException when the file cannot be read or a chart cannot be written
     */
    public static RunReport write(Path runDir) throws IOException {
        RunMetrics m = RunMetrics.read(runDir.resolve(METRICS_FILE));
        return new RunReport(SummaryTable.render(m), RunPlots.write(m, runDir), m);
    }
}
