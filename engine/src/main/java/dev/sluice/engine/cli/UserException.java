package dev.sluice.engine.cli;

/** A problem the user can fix (missing data, bad option): printed without a stack trace, exit code 2. */
public final class UserException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UserException(String message) {
        super(message);
    }
}
