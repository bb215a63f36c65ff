package dev.sluice.engine.train;

import java.nio.file.Path;
import java.util.List;

/**
 * Outcome of a training run.
 *
 * @param epochs summaries of the epochs this call trained: after a resume, from the resumed epoch on
 *     (its first one partial when the checkpoint was taken mid-epoch; the last one partial when stopped)
 * @param evalAccuracy accuracy on the evaluation split after the last epoch, or NaN
 * @param evalCorrect correct predictions behind {@code evalAccuracy}
 * @param evalSamples samples behind {@code evalAccuracy}
 * @param steps the global step reached: steps since the start of the run, those before a resume
 *     included (batches skipped for a non-finite loss count as steps)
 * @param seconds wall time including evaluation
 * @param runDir directory with metrics, plots and checkpoints
 * @param stopped whether the run stopped early on SIGTERM/Ctrl-C (after writing a checkpoint)
 * @param lastCheckpoint location of the newest checkpoint, or null
 * @param skippedBatches batches skipped because their loss was not finite
 */
public record TrainResult(List<EpochSummary> epochs, double evalAccuracy, long evalCorrect, long evalSamples,
                          long steps, double seconds, Path runDir, boolean stopped, String lastCheckpoint,
                          long skippedBatches) {}
