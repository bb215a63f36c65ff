package dev.sluice.spark;

/** A DataFrame column has a type or name Sluice cannot store; thrown on the driver before any task runs. */
public final class UnsupportedColumnException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    public UnsupportedColumnException(String message) {
        super(message);
    }
}
