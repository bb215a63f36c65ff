package dev.sluice.engine.train;

import dev.sluice.engine.report.RunReport;
import java.nio.file.Path;

/** At the end of a run: the summary table and the PNG plots, drawn from {@code metrics.jsonl}. */
final class PlotsListener implements TrainingListener {

    private final Console console;
    private final Path runDir;

    PlotsListener(Console console, Path runDir) {
        this.console = console;
        this.runDir = runDir;
    }

    @Override
    public void onTrainingEnd(TrainResult r) throws Exception {
        RunReport report = RunReport.write(runDir);
        console.line(report.table().stripTrailing());
        console.line("Plots: " + report.plots().stream().map(p -> p.getFileName().toString()).toList() + " in "
                + runDir.toAbsolutePath());
    }
}
