package dev.sluice.engine.train;

/** The loss became NaN or infinite; the message gives the step and what to do. */
public final class TrainingDivergedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final long step;

    public TrainingDivergedException(long step, String message) {
        super(message);
        this.step = step;
    }

    /** Global step (from 1) whose loss was not finite. */
    public long step() {
        return step;
    }
}
