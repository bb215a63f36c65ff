package dev.sluice.spark;

/**
 * A row's value cannot be stored in its field (a null, an array of the wrong length, a label outside its
 * classes, a bad split name). Thrown inside a task; the message names the partition, the row within it
 * and the column.
 */
public final class RowValueException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    public RowValueException(String message) {
        super(message);
    }
}
