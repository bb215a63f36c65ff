package dev.sluice.engine.train;

import java.util.function.Supplier;

/**
 * The NaN policy: decides, from the loss every replica agreed on, whether a step's update is
 * applied, skipped ({@code --on-nan skip}) or the run stops. Every replica sees the same loss, so
 * every replica decides the same.
 */
final class DivergenceGuard {

    private final boolean skipNonFinite;
    private final Supplier<String> lastCheckpoint;
    private long skipped;

    /**
     * @param skipNonFinite skip a batch whose loss is not finite instead of stopping
     * @param skippedBefore batches skipped before a resume
     * @param lastCheckpoint the newest checkpoint, named in the message when the run stops
     */
    DivergenceGuard(boolean skipNonFinite, long skippedBefore, Supplier<String> lastCheckpoint) {
        this.skipNonFinite = skipNonFinite;
        this.skipped = skippedBefore;
        this.lastCheckpoint = lastCheckpoint;
    }

    /**
     * Whether the step's update is applied.
     *
     * @throws TrainingDivergedException when the loss is not finite and batches are not skipped
     */
    boolean admit(long step, int epoch, double agreedLoss) {
        if (Double.isFinite(agreedLoss)) {
            return true;
        }
        if (!skipNonFinite) {
            throw new TrainingDivergedException(step, "loss is " + agreedLoss + " at step " + step
                    + " (epoch " + epoch + "); last good checkpoint: " + checkpointName()
                    + ". Lower --lr, set --clip-norm, or pass --on-nan skip");
        }
        skipped++;
        return false;
    }

    /** Batches skipped since the run began (a resumed run counts those before the resume). */
    long skipped() {
        return skipped;
    }

    private String checkpointName() {
        String c = lastCheckpoint.get();
        return c == null ? "none" : c;
    }
}
