package dev.sluice.data.format;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One typed field of every sample. Either a <b>fixed</b> tensor (an element type and a fixed shape,
 * every sample's value the same size) or, since format 1.1, a <b>variable-length</b> value whose
 * shape is {@code [-1]}: opaque {@link DType#BYTES} with an optional encoding ({@code jpeg},
 * {@code png}, ...), {@link DType#STRING} (UTF-8), or a 1-D sequence of a numeric type (token ids).
 * A field also has a compression and, for categorical fields, class names.
 */
public final class FieldSpec {

    /** The one dimension of a variable-length field's shape. */
    public static final long VARIABLE = -1;

    private final String name;
    private final DType dtype;
    private final long[] shape;
    private final Compression compression;
    private final List<String> classes;
    private final String encoding;
    private final long sampleBytes;

    /**
     * @param name field name, unique within a schema ({@code [A-Za-z0-9_.-]+})
     * @param dtype element type
     * @param shape fixed shape of one sample's value ({@code []} for a scalar), or {@code [-1]} for a
     *     variable-length value
     * @param compression how values are stored in shards
     * @param classes class names of a categorical (label) field, or an empty list
     * @param encoding how a {@link DType#BYTES} value is encoded ({@code jpeg}, {@code png}, ...), or
     *     null when unknown or not bytes
     * @throws IllegalArgumentException naming the field and what is wrong with it
     */
    public FieldSpec(String name, DType dtype, long[] shape, Compression compression, List<String> classes,
                     String encoding) {
        this.name = Objects.requireNonNull(name, "name");
        this.dtype = Objects.requireNonNull(dtype, "dtype");
        this.shape = shape.clone();
        this.compression = Objects.requireNonNull(compression, "compression");
        this.classes = List.copyOf(classes);
        this.encoding = encoding == null || encoding.isEmpty() ? null : encoding;
        if (!name.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("field name '" + name + "' must match [A-Za-z0-9_.-]+");
        }
        boolean variable = shape.length == 1 && shape[0] == VARIABLE;
        if (!dtype.numeric() && !variable) {
            throw new IllegalArgumentException("field '" + name + "' of dtype " + dtype.jsonName()
                    + " must have shape [-1] (variable length), not " + Arrays.toString(shape));
        }
        if (this.encoding != null && (dtype != DType.BYTES || !this.encoding.matches("[a-z0-9][a-z0-9.+-]*"))) {
            throw new IllegalArgumentException("field '" + name + "' has encoding '" + this.encoding
                    + "': only bytes fields have an encoding, a lower-case name such as jpeg, png, webp or npy");
        }
        if (variable) {
            this.sampleBytes = 0;
            return;
        }
        long elems = 1;
        try {
            for (long d : shape) {
                if (d <= 0) {
                    throw new IllegalArgumentException("field '" + name + "' has shape " + Arrays.toString(shape)
                            + ": every dimension must be positive ([-1] alone marks a variable-length field)");
                }
                elems = Math.multiplyExact(elems, d);
            }
            this.sampleBytes = Math.multiplyExact(elems, dtype.bytes());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("field '" + name + "' has shape " + Arrays.toString(shape)
                    + ": one sample would exceed 2^63 bytes");
        }
    }

    /** A field without encoding. */
    public FieldSpec(String name, DType dtype, long[] shape, Compression compression, List<String> classes) {
        this(name, dtype, shape, compression, classes, null);
    }

    /** An uncompressed fixed-shape field without classes. */
    public static FieldSpec of(String name, DType dtype, long... shape) {
        return new FieldSpec(name, dtype, shape, Compression.NONE, List.of());
    }

    /** A variable-length opaque bytes field, e.g. encoded images; {@code encoding} may be null. */
    public static FieldSpec bytes(String name, String encoding) {
        return new FieldSpec(name, DType.BYTES, new long[] {VARIABLE}, Compression.NONE, List.of(), encoding);
    }

    /** A variable-length UTF-8 text field. */
    public static FieldSpec string(String name) {
        return new FieldSpec(name, DType.STRING, new long[] {VARIABLE}, Compression.NONE, List.of(), null);
    }

    /** A variable-length 1-D sequence of a numeric type, e.g. token ids. */
    public static FieldSpec sequence(String name, DType element) {
        if (!element.numeric()) {
            throw new IllegalArgumentException("field '" + name + "': a sequence holds a numeric type, not "
                    + element.jsonName());
        }
        return new FieldSpec(name, element, new long[] {VARIABLE}, Compression.NONE, List.of(), null);
    }

    public String name() {
        return name;
    }

    public DType dtype() {
        return dtype;
    }

    /** A copy of the shape of one sample's value; {@code [-1]} for a variable-length field. */
    public long[] shape() {
        return shape.clone();
    }

    public Compression compression() {
        return compression;
    }

    /** Class names of a categorical field; empty otherwise. */
    public List<String> classes() {
        return classes;
    }

    /** The encoding of a bytes field ({@code jpeg}, {@code png}, ...), or null. */
    public String encoding() {
        return encoding;
    }

    /** Whether each sample's value has its own length (format 1.1), located by an offsets table. */
    public boolean variable() {
        return sampleBytes == 0;
    }

    /** Whether shards hold an offsets table for this field: variable-length or compressed. */
    public boolean hasOffsets() {
        return variable() || compression != Compression.NONE;
    }

    /**
     * Bytes of one sample's value, uncompressed.
     *
     * @throws IllegalStateException for a variable-length field, whose values have no common size
     */
    public long sampleBytes() {
        if (sampleBytes == 0) {
            throw new IllegalStateException("field '" + name + "' (" + this + ") is variable-length: its values have"
                    + " no fixed size; select fixed fields or decode it first");
        }
        return sampleBytes;
    }

    /**
     * Number of elements of one sample's value.
     *
     * @throws IllegalStateException for a variable-length field
     */
    public long elements() {
        return sampleBytes() / dtype.bytes();
    }

    public FieldSpec withCompression(Compression c) {
        return new FieldSpec(name, dtype, shape, c, classes, encoding);
    }

    public FieldSpec withClasses(List<String> names) {
        return new FieldSpec(name, dtype, shape, compression, names, encoding);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FieldSpec f
                && name.equals(f.name)
                && dtype == f.dtype
                && Arrays.equals(shape, f.shape)
                && compression == f.compression
                && classes.equals(f.classes)
                && Objects.equals(encoding, f.encoding);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), compression, classes, encoding);
    }

    /** Like {@code image:uint8[28, 28, 1]}, {@code jpg:bytes[-1]/jpeg} or {@code text:string[-1]/zstd}. */
    @Override
    public String toString() {
        return name + ":" + dtype.jsonName() + Arrays.toString(shape)
                + (encoding == null ? "" : "/" + encoding)
                + (compression == Compression.NONE ? "" : "/" + compression.jsonName());
    }
}
