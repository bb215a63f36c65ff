package dev.sluice.spark;

import dev.sluice.data.format.DType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.sql.Row;

/**
 * Turns rows into field values as {@link dev.sluice.data.format.ShardWriter#add} takes them (little-endian
 * elements). One per task: it reuses its buffers from row to row, which is safe because the shard
 * writer copies every value it is given.
 */
final class RowEncoder {

    private static final String SPLIT_NAME = "[A-Za-z0-9_.-]+";

    private final RowPlan plan;
    private final List<FieldPlan> fields;
    private final ByteBuffer[] scratch;
    private final ByteBuffer[] values;
    private final Map<String, Set<String>> encodings = new LinkedHashMap<>();

    RowEncoder(RowPlan plan) {
        this.plan = plan;
        this.fields = plan.fields();
        this.scratch = new ByteBuffer[fields.size()];
        this.values = new ByteBuffer[fields.size()];
        for (int f = 0; f < scratch.length; f++) {
            scratch[f] = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
            if (fields.get(f).detector() != null) {
                encodings.put(fields.get(f).name(), new TreeSet<>());
            }
        }
    }

    /** Per detected-encoding field, the encodings seen so far ({@code ""}: a value not recognised). */
    Map<String, Set<String>> encodings() {
        return encodings;
    }

    /**
     * The split a row goes to.
     *
     * @throws RowValueException if the split column is null or not a valid split name
     */
    String split(Row row, int partition, long rowIndex) {
        int c = plan.splitColumn();
        if (c < 0) {
            return plan.split();
        }
        String s = row.isNullAt(c) ? null : row.getString(c);
        if (s == null || !s.matches(SPLIT_NAME)) {
            throw new RowValueException(where(partition, rowIndex) + ": split column '" + row.schema().fields()[c].name()
                    + "' holds " + (s == null ? "null" : "'" + s + "'") + "; a split name must match " + SPLIT_NAME);
        }
        return s;
    }

    /**
     * The values of a row's fields; valid until the next call.
     *
     * @throws RowValueException naming the partition, row and column of a value that does not fit its field
     */
    ByteBuffer[] encode(Row row, int partition, long rowIndex) {
        for (int f = 0; f < values.length; f++) {
            FieldPlan p = fields.get(f);
            if (row.isNullAt(p.column())) {
                throw new RowValueException(where(partition, rowIndex) + ": column '" + p.name() + "' is null;"
                        + " dataset fields have no nulls: filter those rows or fill the value (df.na().fill)");
            }
            values[f] = switch (p.kind()) {
                case BYTES -> bytes(p, (byte[]) row.get(p.column()));
                case STRING -> ByteBuffer.wrap(row.getString(p.column()).getBytes(StandardCharsets.UTF_8));
                case SCALAR -> scalar(f, p, row.get(p.column()), partition, rowIndex);
                case SEQUENCE, TENSOR -> array(f, p, row.get(p.column()), partition, rowIndex);
            };
        }
        return values;
    }

    private ByteBuffer bytes(FieldPlan p, byte[] v) {
        if (p.detector() != null) {
            String e = p.detector().encodingOf(v);
            encodings.get(p.name()).add(e == null ? "" : e);
        }
        return ByteBuffer.wrap(v);
    }

    private ByteBuffer scalar(int f, FieldPlan p, Object v, int partition, long rowIndex) {
        if (!p.classes().isEmpty()) {
            long label = ((Number) v).longValue();
            if (label < 0 || label >= p.classes().size()) {
                throw new RowValueException(where(partition, rowIndex) + ": column '" + p.name() + "' holds label "
                        + label + " but has " + p.classes().size() + " classes (labels 0 to "
                        + (p.classes().size() - 1) + ")");
            }
        }
        ByteBuffer b = room(f, p.dtype().bytes());
        put(b, p.dtype(), v);
        return b.flip();
    }

    private ByteBuffer array(int f, FieldPlan p, Object v, int partition, long rowIndex) {
        List<?> top = list(v);
        long n;
        if (p.kind() == FieldPlan.Kind.SEQUENCE || p.nesting() == 1) {
            n = top.size();
            if (p.kind() == FieldPlan.Kind.TENSOR && n != p.elements()) {
                throw new RowValueException(where(partition, rowIndex) + ": column '" + p.name() + "' holds "
                        + n + " elements but its shape " + Arrays.toString(p.shape()) + " needs " + p.elements());
            }
        } else {
            n = p.elements();
        }
        ByteBuffer b = room(f, Math.toIntExact(n * p.dtype().bytes()));
        if (p.kind() == FieldPlan.Kind.TENSOR && p.nesting() > 1) {
            putNested(b, p, top, 0, partition, rowIndex);
        } else {
            for (Object e : top) {
                putElement(b, p, e, partition, rowIndex);
            }
        }
        return b.flip();
    }

    private void putNested(ByteBuffer b, FieldPlan p, List<?> level, int depth, int partition, long rowIndex) {
        if (level.size() != p.shape()[depth]) {
            throw new RowValueException(where(partition, rowIndex) + ": column '" + p.name() + "' has "
                    + level.size() + " entries at depth " + depth + " but its shape " + Arrays.toString(p.shape())
                    + " needs " + p.shape()[depth]);
        }
        for (Object e : level) {
            if (depth + 1 < p.shape().length) {
                if (e == null) {
                    throw new RowValueException(where(partition, rowIndex) + ": column '" + p.name()
                            + "' holds a null array at depth " + (depth + 1));
                }
                putNested(b, p, list(e), depth + 1, partition, rowIndex);
            } else {
                putElement(b, p, e, partition, rowIndex);
            }
        }
    }

    private static void putElement(ByteBuffer b, FieldPlan p, Object e, int partition, long rowIndex) {
        if (e == null) {
            throw new RowValueException(where(partition, rowIndex) + ": column '" + p.name()
                    + "' holds a null element; arrays must be fully populated");
        }
        put(b, p.dtype(), e);
    }

    private static void put(ByteBuffer b, DType t, Object v) {
        switch (t) {
            case INT8 -> b.put(((Number) v).byteValue());
            case UINT8 -> b.put((byte) ((Boolean) v ? 1 : 0));
            case INT16 -> b.putShort(((Number) v).shortValue());
            case INT32 -> b.putInt(((Number) v).intValue());
            case INT64 -> b.putLong(((Number) v).longValue());
            case FLOAT32 -> b.putFloat(((Number) v).floatValue());
            case FLOAT64 -> b.putDouble(((Number) v).doubleValue());
            default -> throw new IllegalStateException("no Spark type maps to " + t);
        }
    }

    private ByteBuffer room(int f, int bytes) {
        if (scratch[f].capacity() < bytes) {
            scratch[f] = ByteBuffer.allocate(Math.max(bytes, scratch[f].capacity() * 2)).order(ByteOrder.LITTLE_ENDIAN);
        }
        return scratch[f].clear();
    }

    /** A Spark array value: a Scala sequence in rows built by Spark, a Java list in rows built by hand. */
    private static List<?> list(Object v) {
        if (v instanceof List<?> l) {
            return l;
        }
        if (v instanceof scala.collection.Seq<?> s) {
            return scala.jdk.javaapi.CollectionConverters.asJava(s);
        }
        throw new IllegalStateException("an array column holds a " + v.getClass().getName());
    }

    private static String where(int partition, long rowIndex) {
        return "partition " + partition + ", row " + rowIndex;
    }
}
