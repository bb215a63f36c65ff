package dev.sluice.engine.train;

import java.util.function.Supplier;

/**
 * The NaN and divergence policy: decides, from the loss every replica agreed on, whether a step's
 * update is applied, skipped ({@code --on-nan skip}) or the run stops. Every replica sees the same
 * loss, so every replica decides the same.
 *
 * <p>The run stops, naming the last good checkpoint, when the loss is not finite (unless skipped),
 * when the loss has risen by orders of magnitude ({@link #RISE} times the first step's loss, smoothed
 * so one bad batch does not trigger it: a loss that explodes without becoming NaN, e.g. {@code --lr
 * 1e6} with AdamW), or when more than {@link #MAX_SKIPPED} of the steps were skipped (after at least
 * {@link #MIN_STEPS} steps): a run that skips most of its batches is not training.
 */
final class DivergenceGuard {

    /** The smoothed loss may not exceed this multiple of the first step's loss. */
    static final double RISE = 1000;
    /** Reference floor, so a first loss near 0 does not make every later loss look like a rise. */
    static final double FLOOR = 0.1;
    /** Weight of the newest loss in the smoothed loss. */
    static final double SMOOTHING = 0.1;
    /** Largest fraction of skipped steps a run may have. */
    static final double MAX_SKIPPED = 0.5;
    /** Steps before the skipped fraction is judged. */
    static final int MIN_STEPS = 20;

    private final boolean skipNonFinite;
    private final Supplier<String> lastCheckpoint;
    private long skipped;
    private long seen;
    private long skippedHere;
    private double reference = Double.NaN;
    private double smoothed = Double.NaN;

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
        seen++;
        if (Double.isFinite(agreedLoss)) {
            if (Double.isNaN(reference)) {
                reference = Math.max(agreedLoss, FLOOR);
            }
            smoothed = Double.isNaN(smoothed) ? agreedLoss : (1 - SMOOTHING) * smoothed + SMOOTHING * agreedLoss;
            if (smoothed > RISE * reference) {
                throw new TrainingDivergedException(step, String.format(java.util.Locale.ROOT,
                        "training diverged: the loss rose from %.4g to %.4g (smoothed) by step %d (epoch %d); last"
                                + " good checkpoint: %s. Lower --lr, set --clip-norm or --warmup, and start again or"
                                + " --resume from a checkpoint before the rise", reference, smoothed, step, epoch,
                        checkpointName()));
            }
            return true;
        }
        if (!skipNonFinite) {
            throw new TrainingDivergedException(step, "training diverged: loss is " + agreedLoss + " at step " + step
                    + " (epoch " + epoch + "); last good checkpoint: " + checkpointName()
                    + ". Lower --lr, set --clip-norm, or pass --on-nan skip");
        }
        skipped++;
        skippedHere++;
        if (seen >= MIN_STEPS && skippedHere > MAX_SKIPPED * seen) {
            throw new TrainingDivergedException(step, String.format(java.util.Locale.ROOT,
                    "training diverged: %d of the last %d steps had a non-finite loss and were skipped (more than"
                            + " %.0f%%) by step %d (epoch %d); last good checkpoint: %s. Lower --lr or set --clip-norm",
                    skippedHere, seen, MAX_SKIPPED * 100, step, epoch, checkpointName()));
        }
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
