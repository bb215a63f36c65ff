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

    /**
     * Whether any field needs format 1.1: a variable-length field, or an element type added in 1.1
     * (unsigned 16/32/64-bit, bytes, string).
     */
    public boolean needs11() {
        for (FieldSpec f : fields) {
            if (f.variable() || f.dtype().since11()) {
                return true;
            }
        }
        return false;
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
