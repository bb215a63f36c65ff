package dev.sluice.spark;

import dev.sluice.data.format.Compression;
import dev.sluice.data.format.DType;
import dev.sluice.data.format.FieldSpec;
import java.io.Serializable;
import java.util.List;

/**
 * How one DataFrame column becomes one dataset field.
 *
 * @param column the column's index in the row
 * @param kind what the column holds
 * @param dtype the field's element type
 * @param shape a tensor's shape; null for every other kind
 * @param nesting how deeply a tensor column's arrays nest (1 for a flat row-major array)
 * @param compression how values are stored
 * @param classes class names of a label column, or empty
 * @param encoding a bytes field's encoding, or null
 * @param detector learns a bytes field's encoding from its values, or null
 */
record FieldPlan(int column, String name, Kind kind, DType dtype, long[] shape, int nesting, Compression compression,
                 List<String> classes, String encoding, EncodingDetector detector) implements Serializable {

    /** What a column holds. */
    enum Kind {
        /** binary → variable-length bytes */
        BYTES,
        /** string → variable-length UTF-8 */
        STRING,
        /** a number (or boolean) → a scalar */
        SCALAR,
        /** an array of numbers → a variable-length sequence */
        SEQUENCE,
        /** an array of numbers with a declared shape → a fixed-shape tensor */
        TENSOR
    }

    FieldSpec spec() {
        FieldSpec base = switch (kind) {
            case BYTES -> FieldSpec.bytes(name, encoding);
            case STRING -> FieldSpec.string(name);
            case SEQUENCE -> FieldSpec.sequence(name, dtype);
            case SCALAR -> FieldSpec.of(name, dtype);
            case TENSOR -> FieldSpec.of(name, dtype, shape);
        };
        return base.withCompression(compression).withClasses(classes);
    }

    /** Elements of one value of a tensor field. */
    long elements() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }
}
