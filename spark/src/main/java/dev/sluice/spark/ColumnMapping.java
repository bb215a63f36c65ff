package dev.sluice.spark;

import dev.sluice.data.format.Compression;
import dev.sluice.data.format.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Maps a DataFrame schema to dataset fields, on the driver, before any task starts: binary → bytes (with
 * an optional encoding), string → string, byte/short/int/long/float/double → scalar of int8 ... float64
 * (boolean → uint8 0/1), array of numbers → sequence, or tensor when a shape is declared. Any other type
 * fails here, naming the column.
 */
final class ColumnMapping {

    private ColumnMapping() {}

    /**
     * @throws UnsupportedColumnException naming the first column that cannot be stored, or an option that
     *     names a column the DataFrame lacks or does not fit it
     */
    static RowPlan plan(StructType schema, SluiceWriteOptions options) {
        StructField[] columns = schema.fields();
        List<String> names = Arrays.stream(columns).map(StructField::name).toList();
        checkNamed("withSplitColumn", options.splitColumn() == null ? Set.of() : Set.of(options.splitColumn()), names);
        checkNamed("withEncoding", options.encodings().keySet(), names);
        checkNamed("withEncodingDetector", options.detectors().keySet(), names);
        checkNamed("withShape", options.shapes().keySet(), names);
        checkNamed("withClasses", options.classes().keySet(), names);
        checkNamed("withCompression", options.compression().keySet(), names);
        int splitColumn = -1;
        List<FieldPlan> fields = new ArrayList<>();
        for (int c = 0; c < columns.length; c++) {
            StructField col = columns[c];
            if (col.name().equals(options.splitColumn())) {
                if (!(col.dataType() instanceof StringType)) {
                    throw new UnsupportedColumnException("split column '" + col.name() + "' is "
                            + col.dataType().simpleString() + "; it must be a string column naming each row's split");
                }
                splitColumn = c;
                continue;
            }
            fields.add(field(c, col, options));
        }
        if (fields.isEmpty()) {
            throw new UnsupportedColumnException("the DataFrame has no column to store (columns: " + names + ")");
        }
        RowPlan plan = new RowPlan(fields, splitColumn, options.split());
        try {
            plan.schema();
        } catch (IllegalArgumentException e) {
            throw new UnsupportedColumnException(e.getMessage());
        }
        return plan;
    }

    private static FieldPlan field(int c, StructField col, SluiceWriteOptions options) {
        String name = col.name();
        if (!name.matches("[A-Za-z0-9_.-]+")) {
            throw new UnsupportedColumnException("column '" + name + "': a field name must match [A-Za-z0-9_.-]+;"
                    + " rename it first (df.withColumnRenamed)");
        }
        DataType t = col.dataType();
        String encoding = options.encodings().get(name);
        long[] shape = options.shapes().get(name);
        List<String> classes = options.classes().getOrDefault(name, List.of());
        Compression compression = options.compression().getOrDefault(name, Compression.NONE);
        EncodingDetector detector = options.detectors().get(name);
        if (detector != null && encoding != null) {
            throw new UnsupportedColumnException("column '" + name + "' has both a declared encoding and an encoding"
                    + " detector; give one");
        }
        if ((encoding != null || detector != null) && !(t instanceof BinaryType)) {
            throw new UnsupportedColumnException("column '" + name + "' is " + t.simpleString()
                    + ": only a binary column has an encoding");
        }
        if (shape != null && !(t instanceof ArrayType)) {
            throw new UnsupportedColumnException("column '" + name + "' is " + t.simpleString()
                    + ": only an array column has a shape");
        }
        if (!classes.isEmpty() && !integral(t)) {
            throw new UnsupportedColumnException("column '" + name + "' is " + t.simpleString()
                    + ": classes belong to an integer label column (byte, short, int or long)");
        }
        if (t instanceof BinaryType) {
            return new FieldPlan(c, name, FieldPlan.Kind.BYTES, DType.BYTES, null, 0, compression, classes, encoding, detector);
        }
        if (t instanceof StringType) {
            return new FieldPlan(c, name, FieldPlan.Kind.STRING, DType.STRING, null, 0, compression, classes, null, null);
        }
        DType scalar = numeric(t);
        if (scalar != null) {
            return new FieldPlan(c, name, FieldPlan.Kind.SCALAR, scalar, null, 0, compression, classes, null, null);
        }
        if (t instanceof ArrayType) {
            int nesting = 0;
            DataType leaf = t;
            while (leaf instanceof ArrayType a) {
                leaf = a.elementType();
                nesting++;
            }
            DType element = numeric(leaf);
            if (element == null) {
                throw new UnsupportedColumnException("column '" + name + "' is " + t.simpleString()
                        + ": arrays must hold numbers (byte, short, int, long, float, double or boolean)");
            }
            if (shape == null) {
                if (nesting != 1) {
                    throw new UnsupportedColumnException("column '" + name + "' is " + t.simpleString()
                            + ": a nested array is stored as a tensor and needs its shape: withShape(\"" + name
                            + "\", ...)");
                }
                return new FieldPlan(c, name, FieldPlan.Kind.SEQUENCE, element, null, 1, compression, classes, null, null);
            }
            if (nesting != 1 && nesting != shape.length) {
                throw new UnsupportedColumnException("column '" + name + "' is " + t.simpleString() + " (" + nesting
                        + " levels of arrays) but its shape " + Arrays.toString(shape) + " has " + shape.length
                        + " dimensions; give a flat array or one nesting level per dimension");
            }
            return new FieldPlan(c, name, FieldPlan.Kind.TENSOR, element, shape.clone(), nesting, compression, classes,
                    null, null);
        }
        throw new UnsupportedColumnException("column '" + name + "' has type " + t.simpleString()
                + ", which Sluice cannot store; supported: binary, string, byte, short, int, long, float, double,"
                + " boolean and arrays of numbers (cast or drop the column first)");
    }

    private static boolean integral(DataType t) {
        return t instanceof ByteType || t instanceof ShortType || t instanceof IntegerType || t instanceof LongType;
    }

    /** The element type of a numeric Spark type, or null. */
    private static DType numeric(DataType t) {
        if (t instanceof ByteType) {
            return DType.INT8;
        }
        if (t instanceof ShortType) {
            return DType.INT16;
        }
        if (t instanceof IntegerType) {
            return DType.INT32;
        }
        if (t instanceof LongType) {
            return DType.INT64;
        }
        if (t instanceof FloatType) {
            return DType.FLOAT32;
        }
        if (t instanceof DoubleType) {
            return DType.FLOAT64;
        }
        if (t instanceof BooleanType) {
            return DType.UINT8;
        }
        return null;
    }

    private static void checkNamed(String option, Set<String> named, List<String> columns) {
        Set<String> missing = new LinkedHashSet<>(named);
        missing.removeAll(columns);
        if (!missing.isEmpty()) {
            throw new UnsupportedColumnException(option + " names column(s) " + missing
                    + " that the DataFrame does not have; its columns are " + columns);
        }
    }
}
