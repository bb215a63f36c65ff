package dev.sluice.engine.train;

/**
 * The loss became NaN or infinite, rose by orders of magnitude, or most batches were skipped; the
 * message gives the step, the last good checkpoint and what to do.
 */
public final class TrainingDivergedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final long step;

    public TrainingDivergedException(long step, String message) {
        super(message);
        this.step = step;
    }

    /** Global step (from 1) at which the run stopped. */
    public long step() {
        return step;
    }
}
