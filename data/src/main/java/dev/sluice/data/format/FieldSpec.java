package dev.sluice.data.format;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One typed tensor field of every sample: a name, an element type, a fixed shape, a compression,
 * and for categorical fields the class names.
 */
public final class FieldSpec {

    private final String name;
    private final DType dtype;
    private final long[] shape;
    private final Compression compression;
    private final List<String> classes;
    private final long sampleBytes;

    /**
     * @param name field name, unique within a schema ({@code [A-Za-z0-9_.-]+})
     * @param dtype element type
     * @param shape fixed shape of one sample's value; empty for a scalar
     * @param compression how values are stored in shards
     * @param classes class names of a categorical (label) field, or an empty list
     */
    public FieldSpec(String name, DType dtype, long[] shape, Compression compression, List<String> classes) {
        this.name = Objects.requireNonNull(name, "name");
        this.dtype = Objects.requireNonNull(dtype, "dtype");
        this.shape = shape.clone();
        this.compression = Objects.requireNonNull(compression, "compression");
        this.classes = List.copyOf(classes);
        if (!name.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("field name '" + name + "' must match [A-Za-z0-9_.-]+");
        }
        long elems = 1;
        try {
            for (long d : shape) {
                if (d <= 0) {
                    throw new IllegalArgumentException("field '" + name + "' has shape " + Arrays.toString(shape)
                            + ": every dimension must be positive");
                }
                elems = Math.multiplyExact(elems, d);
            }
            this.sampleBytes = Math.multiplyExact(elems, dtype.bytes());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("field '" + name + "' has shape " + Arrays.toString(shape)
                    + ": one sample would exceed 2^63 bytes");
        }
    }

    /** An uncompressed field without classes. */
    public static FieldSpec of(String name, DType dtype, long... shape) {
        return new FieldSpec(name, dtype, shape, Compression.NONE, List.of());
    }

    public String name() {
        return name;
    }

    public DType dtype() {
        return dtype;
    }

    /** A copy of the shape of one sample's value. */
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

    /** Bytes of one sample's value, uncompressed. */
    public long sampleBytes() {
        return sampleBytes;
    }

    /** Number of elements of one sample's value. */
    public long elements() {
        return sampleBytes / dtype.bytes();
    }

    public FieldSpec withCompression(Compression c) {
        return new FieldSpec(name, dtype, shape, c, classes);
    }

    public FieldSpec withClasses(List<String> names) {
        return new FieldSpec(name, dtype, shape, compression, names);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FieldSpec f
                && name.equals(f.name)
                && dtype == f.dtype
                && Arrays.equals(shape, f.shape)
                && compression == f.compression
                && classes.equals(f.classes);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), compression, classes);
    }

    @Override
    public String toString() {
        return name + ":" + dtype.jsonName() + Arrays.toString(shape)
                + (compression == Compression.NONE ? "" : "/" + compression.jsonName());
    }
}
