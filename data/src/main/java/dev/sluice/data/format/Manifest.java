package dev.sluice.data.format;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The root description of a dataset ({@code manifest.json}): format version, schema, splits with
 * their shards, and free-form string metadata. Immutable.
 */
public final class Manifest {

    /** Object key of the manifest below the dataset root. */
    public static final String KEY = "manifest.json";
    /** Major format version this code reads and writes. */
    public static final int MAJOR = 1;
    /** Highest minor format version this code reads and writes (1.1 added variable-length fields). */
    public static final int MINOR = 1;

    /**
     * The minor version a dataset with this schema is written as: 1.1 when it uses a 1.1 feature (which a
     * 1.0 reader rejects rather than misreads), else 1.0 so that 1.0 readers keep reading it.
     */
    public static int minorFor(Schema schema) {
        return schema.needs11() ? 1 : 0;
    }

    private final int major;
    private final int minor;
    private final String name;
    private final String created;
    private final Schema schema;
    private final Map<String, Split> splits;
    private final Map<String, String> metadata;

    public Manifest(int major, int minor, String name, String created, Schema schema,
                    Map<String, Split> splits, Map<String, String> metadata) {
        this.major = major;
        this.minor = minor;
        this.name = name;
        this.created = created;
        this.schema = schema;
        this.splits = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(splits));
        this.metadata = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    public int major() {
        return major;
    }

    public int minor() {
        return minor;
    }

    public String name() {
        return name;
    }

    /** ISO-8601 time the manifest was written. */
    public String created() {
        return created;
    }

    public Schema schema() {
        return schema;
    }

    /** Splits by name, in manifest order. */
    public Map<String, Split> splits() {
        return splits;
    }

    /**
     * The named split.
     *
     * @throws IllegalArgumentException naming the splits that exist
     */
    public Split split(String name) {
        Split s = splits.get(name);
        if (s == null) {
            throw new IllegalArgumentException("dataset '" + this.name + "' has no split '" + name
                    + "'; it has " + splits.keySet());
        }
        return s;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    /** A copy with one split added or replaced. */
    public Manifest withSplit(Split split, String createdAt) {
        Map<String, Split> m = new LinkedHashMap<>(splits);
        m.put(split.name(), split);
        return new Manifest(major, minor, name, createdAt, schema, m, metadata);
    }
}
