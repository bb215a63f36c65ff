package dev.sluice.data.format;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The ordered list of fields every sample of a dataset has. */
public final class Schema {

    private final List<FieldSpec> fields;

    public Schema(List<FieldSpec> fields) {
        if (fields.isEmpty()) {
            throw new IllegalArgumentException("a schema needs at least one field");
        }
        Set<String> seen = new HashSet<>();
        for (FieldSpec f : fields) {
            if (!seen.add(f.name())) {
                throw new IllegalArgumentException("field '" + f.name() + "' appears twice in the schema");
            }
        }
        this.fields = List.copyOf(fields);
    }

    public static Schema of(FieldSpec... fields) {
        return new Schema(List.of(fields));
    }

    public List<FieldSpec> fields() {
        return fields;
    }

    public int size() {
        return fields.size();
    }

    public FieldSpec field(int index) {
        return fields.get(index);
    }

    /** Index of the named field, or -1. */
    public int indexOf(String name) {
        for (int i = 0; i < fields.size(); i++) {
            if (fields.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The named field.
     *
     * @throws IllegalArgumentException naming the fields that exist
     */
    public FieldSpec field(String name) {
        int i = indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException("no field '" + name + "' in the dataset; fields are " + this);
        }
        return fields.get(i);
    }

    /** Bytes of one sample, all fields, uncompressed. */
    public long sampleBytes() {
        long b = 0;
        for (FieldSpec f : fields) {
            b += f.sampleBytes();
        }
        return b;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Schema s && fields.equals(s.fields);
    }

    @Override
    public int hashCode() {
        return fields.hashCode();
    }

    @Override
    public String toString() {
        return fields.toString();
    }
}
