package dev.sluice.engine.train;

/**
 * A run refused before it wrote anything (no run directory, no metrics): an option or the dataset
 * does not allow it, and the message says which option or split is wrong and what to pass instead.
 * The CLI exits with its usage code (2) for it; it is an {@link IllegalArgumentException} so that
 * embedders catching that keep working.
 */
public final class InvalidRunException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong, where, and what to do */
    public InvalidRunException(String message) {
        super(message);
    }

    /** @param message what is wrong, where, and what to do; {@code cause} the failure that showed it */
    public InvalidRunException(String message, Throwable cause) {
        super(message, cause);
    }
}
