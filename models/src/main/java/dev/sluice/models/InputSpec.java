package dev.sluice.models;

import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Objects;

/**
 * What one sample of a model's input field looks like, without the batch dimension.
 *
 * <p>The engine derives it from the dataset schema: an image field becomes {@link #image} in
 * C×H×W order (models take float32 NCHW; the engine converts uint8 to float on the device), any
 * other fixed-shape numeric field becomes {@link #dense}, and an integer token sequence becomes
 * {@link #tokens}. {@link #fromFieldShape} does the usual mapping from a stored field shape.
 *
 * <p>Immutable; equal specs compare equal.
 */
public final class InputSpec {

    /** How a model must read the field. */
    public enum Kind {
        /** Float values of any fixed shape (images are rank-3 dense fields, C×H×W). */
        DENSE,
        /** Integer token ids in {@code [0, vocabSize)}, shape {@code [length]}. */
        TOKENS
    }

    /** Axis order of a stored image field. */
    public enum Layout {
        /** Channels first: {@code [C, H, W]}; models take it as is. */
        CHW,
        /** Channels last: {@code [H, W, C]}; the engine transposes to CHW on the device. */
        HWC
    }

    private final String field;
    private final Kind kind;
    private final long[] dims;
    private final int vocabSize;

    private InputSpec(String field, Kind kind, long[] dims, int vocabSize) {
        this.field = Objects.requireNonNull(field, "field");
        this.kind = kind;
        this.dims = dims.clone();
        this.vocabSize = vocabSize;
        if (dims.length == 0) {
            throw new ModelConfigException(
                    null, field, "Field '" + field + "' has a scalar shape []; a model input needs"
                            + " at least one dimension (e.g. [784] or [1, 28, 28]).");
        }
        for (long d : dims) {
            if (d <= 0) {
                throw new ModelConfigException(
                        null, field, "Field '" + field + "' has shape " + Arrays.toString(dims)
                                + ": every dimension must be positive and fixed.");
            }
        }
    }

    /**
     * An image field in channels-first order.
     *
     * @param field the dataset field name (used in error messages)
     * @param channels C, e.g. 1 for grayscale, 3 for RGB
     * @param height H in pixels
     * @param width W in pixels
     * @return the spec of a rank-3 dense field {@code [C, H, W]}
     */
    public static InputSpec image(String field, int channels, int height, int width) {
        return new InputSpec(field, Kind.DENSE, new long[] {channels, height, width}, 0);
    }

    /**
     * A float field of any fixed per-sample shape (a feature vector {@code [F]}, a C×H×W image,
     * ...).
     *
     * @param field the dataset field name
     * @param dims the per-sample shape, without the batch dimension
     * @return the spec
     */
    public static InputSpec dense(String field, long... dims) {
        return new InputSpec(field, Kind.DENSE, dims, 0);
    }

    /**
     * A field of integer token ids.
     *
     * @param field the dataset field name
     * @param length the sequence length T
     * @param vocabSize the number of distinct ids; ids lie in {@code [0, vocabSize)}
     * @return the spec of shape {@code [T]}
     */
    public static InputSpec tokens(String field, int length, int vocabSize) {
        if (vocabSize < 2) {
            throw new ModelConfigException(
                    null, field, "Token field '" + field + "' has vocabulary size " + vocabSize
                            + "; it needs at least 2 ids. Set the vocabulary size in the dataset"
                            + " schema's field metadata.");
        }
        return new InputSpec(field, Kind.TOKENS, new long[] {length}, vocabSize);
    }

    /**
     * Maps a stored numeric field shape to a model input: rank 2 {@code [H, W]} is a one-channel
     * image {@code [1, H, W]}; rank 3 is an image in the given layout, turned into CHW; any other
     * rank stays as it is (dense).
     *
     * @param field the dataset field name
     * @param shape the field's per-sample shape as the schema stores it
     * @param layout the axis order of a rank-3 field (ignored for other ranks)
     * @return the spec in the order models take (CHW for images)
     */
    public static InputSpec fromFieldShape(String field, long[] shape, Layout layout) {
        Objects.requireNonNull(shape, "shape");
        if (shape.length == 2) {
            return dense(field, 1, shape[0], shape[1]);
        }
        if (shape.length == 3 && layout == Layout.HWC) {
            return dense(field, shape[2], shape[0], shape[1]);
        }
        return dense(field, shape);
    }

    /** The dataset field name. */
    public String field() {
        return field;
    }

    /** How the values must be read. */
    public Kind kind() {
        return kind;
    }

    /** The per-sample shape (a copy), without the batch dimension. */
    public long[] dims() {
        return dims.clone();
    }

    /** The number of per-sample dimensions. */
    public int rank() {
        return dims.length;
    }

    /** Values per sample (product of the dimensions). */
    public long size() {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        return n;
    }

    /** True for a rank-3 float field, read as C×H×W. */
    public boolean isImage() {
        return kind == Kind.DENSE && dims.length == 3;
    }

    /** C of an image field. */
    public int channels() {
        return (int) imageDims()[0];
    }

    /** H of an image field. */
    public int height() {
        return (int) imageDims()[1];
    }

    /** W of an image field. */
    public int width() {
        return (int) imageDims()[2];
    }

    /** The sequence length T of a token field. */
    public int length() {
        requireKind(Kind.TOKENS);
        return (int) dims[0];
    }

    /** The vocabulary size of a token field. */
    public int vocabSize() {
        requireKind(Kind.TOKENS);
        return vocabSize;
    }

    /** The data type a batch of this field has when it reaches the model. */
    public DataType dataType() {
        return kind == Kind.TOKENS ? DataType.INT64 : DataType.FLOAT32;
    }

    /**
     * The shape of a batch: {@code (batchSize, dims...)}.
     *
     * @param batchSize N
     * @return the batch shape
     */
    public Shape batchShape(long batchSize) {
        long[] all = new long[dims.length + 1];
        all[0] = batchSize;
        System.arraycopy(dims, 0, all, 1, dims.length);
        return new Shape(all);
    }

    /** A short human description used in error messages, e.g. {@code field 'image' [1, 28, 28]}. */
    public String describe() {
        String what = kind == Kind.TOKENS
                ? " (tokens, vocabulary " + vocabSize + ")"
                : isImage() ? " (C, H, W)" : "";
        return "field '" + field + "' " + Arrays.toString(dims) + what;
    }

    private long[] imageDims() {
        if (!isImage()) {
            throw new IllegalStateException(describe() + " is not an image [C, H, W]");
        }
        return dims;
    }

    private void requireKind(Kind wanted) {
        if (kind != wanted) {
            throw new IllegalStateException(describe() + " is " + kind + ", not " + wanted);
        }
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof InputSpec)) {
            return false;
        }
        InputSpec other = (InputSpec) o;
        return field.equals(other.field)
                && kind == other.kind
                && Arrays.equals(dims, other.dims)
                && vocabSize == other.vocabSize;
    }

    @Override
    public int hashCode() {
        return Objects.hash(field, kind, Arrays.hashCode(dims), vocabSize);
    }

    @Override
    public String toString() {
        return describe();
    }
}
