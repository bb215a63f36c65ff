package dev.sluice.models;

/**
 * A model cannot be built for the requested input: unknown model name, a field whose shape the
 * network cannot take, or an impossible number of classes.
 *
 * <p>The message says which model and which field/shape failed, and what would fit (known names,
 * models that accept the field, the shape the network needs). Unchecked, like {@link
 * IllegalArgumentException}, because it reports a bad argument: the CLI catches it to print the
 * message instead of a stack trace.
 */
public final class ModelConfigException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String model;
    private final String field;

    /**
     * @param model the model name involved, or {@code null} when the input itself is invalid
     * @param field the dataset field involved, or {@code null}
     * @param message what failed and what fits
     */
    public ModelConfigException(String model, String field, String message) {
        super(message);
        this.model = model;
        this.field = field;
    }

    /** The model name involved, or {@code null} when the input spec itself was invalid. */
    public String model() {
        return model;
    }

    /** The dataset field involved, or {@code null}. */
    public String field() {
        return field;
    }
}
