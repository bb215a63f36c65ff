package dev.sluice.spark;

import dev.sluice.data.format.Compression;
import dev.sluice.data.store.StoreOptions;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How {@link SluiceWriter} writes a DataFrame: dataset name, split (or a column naming each row's split),
 * shard size, per-column encodings, shapes, classes and compression, what to do when a dataset is
 * already there, and how to reach the store. Immutable; every {@code with} method returns a copy.
 * Serializable because tasks receive it.
 */
public final class SluiceWriteOptions implements Serializable {

    private static final long serialVersionUID = 1L;

    /** The default shard size: 64 MiB, as the single-process writer recommends. */
    public static final long DEFAULT_SHARD_BYTES = 64L << 20;

    private String name;
    private String split = "train";
    private String splitColumn;
    private long shardBytes = DEFAULT_SHARD_BYTES;
    private LinkedHashMap<String, String> encodings = new LinkedHashMap<>();
    private LinkedHashMap<String, long[]> shapes = new LinkedHashMap<>();
    private LinkedHashMap<String, List<String>> classes = new LinkedHashMap<>();
    private LinkedHashMap<String, Compression> compression = new LinkedHashMap<>();
    private LinkedHashMap<String, String> metadata = new LinkedHashMap<>();
    private LinkedHashMap<String, EncodingDetector> detectors = new LinkedHashMap<>();
    private boolean overwrite;
    private StoreSettings store = StoreSettings.of(StoreOptions.defaults());
    private String stagingDir;
    private AttemptHook hook = AttemptHook.NONE;

    private SluiceWriteOptions() {}

    /** Split {@code train}, 64 MiB shards, no encodings, shapes or classes, default store options, fail if a dataset exists. */
    public static SluiceWriteOptions defaults() {
        return new SluiceWriteOptions();
    }

    /** Dataset name recorded in the manifest (default: the last segment of the location). */
    public SluiceWriteOptions withName(String datasetName) {
        SluiceWriteOptions o = copy();
        o.name = datasetName;
        return o;
    }

    /** The split every row goes to when there is no split column (default {@code train}). */
    public SluiceWriteOptions withSplit(String splitName) {
        SluiceWriteOptions o = copy();
        o.split = splitName;
        return o;
    }

    /**
     * A string column whose value names each row's split ({@code train}, {@code val}, ...); the column
     * itself is not stored as a field.
     */
    public SluiceWriteOptions withSplitColumn(String column) {
        SluiceWriteOptions o = copy();
        o.splitColumn = column;
        return o;
    }

    /** A task closes a shard once it reaches this size; each task holds one open shard per split in memory. */
    public SluiceWriteOptions withShardBytes(long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("shard size must be positive, got " + bytes);
        }
        SluiceWriteOptions o = copy();
        o.shardBytes = bytes;
        return o;
    }

    /** The encoding ({@code jpeg}, {@code png}, ...) recorded for a binary column's bytes field. */
    public SluiceWriteOptions withEncoding(String column, String encoding) {
        SluiceWriteOptions o = copy();
        o.encodings.put(column, encoding);
        return o;
    }

    /**
     * Learns a binary column's encoding from its values: the field records the one encoding every value
     * had, or none when values differ or one is not recognised (as the single-process importer does).
     */
    public SluiceWriteOptions withEncodingDetector(String column, EncodingDetector detector) {
        SluiceWriteOptions o = copy();
        o.detectors.put(column, detector);
        return o;
    }

    /**
     * Stores a numeric array column as a fixed-shape tensor instead of a variable-length sequence. The
     * column is a 1-D array of {@code product(shape)} elements (row-major) or arrays nested as deep as
     * {@code shape} has dimensions; every row's lengths are checked.
     */
    public SluiceWriteOptions withShape(String column, long... shape) {
        SluiceWriteOptions o = copy();
        o.shapes.put(column, shape.clone());
        return o;
    }

    /** Class names of an integer label column; every value is checked to be an index into them. */
    public SluiceWriteOptions withClasses(String column, List<String> names) {
        SluiceWriteOptions o = copy();
        o.classes.put(column, List.copyOf(names));
        return o;
    }

    /** How a column's values are stored in shards (default none). */
    public SluiceWriteOptions withCompression(String column, Compression c) {
        SluiceWriteOptions o = copy();
        o.compression.put(column, c);
        return o;
    }

    /** A free-form string recorded in the manifest. */
    public SluiceWriteOptions withMetadata(String key, String value) {
        SluiceWriteOptions o = copy();
        o.metadata.put(key, value);
        return o;
    }

    /**
     * Replace a dataset already at the location: the new manifest replaces the old one when the job
     * commits, then the old shards are deleted. Without this a write to a location holding a manifest
     * fails before any task runs.
     */
    public SluiceWriteOptions withOverwrite(boolean on) {
        SluiceWriteOptions o = copy();
        o.overwrite = on;
        return o;
    }

    /** How the driver and every task reach the store (endpoint, region, retries, ...). */
    public SluiceWriteOptions withStore(StoreOptions options) {
        SluiceWriteOptions o = copy();
        o.store = StoreSettings.of(options);
        return o;
    }

    /**
     * A local directory on every executor where a task stages a shard before publishing it (default:
     * a hidden directory under a file dataset's root, so publishing is a rename; the JVM's temporary
     * directory for S3).
     */
    public SluiceWriteOptions withStagingDir(String dir) {
        SluiceWriteOptions o = copy();
        o.stagingDir = dir;
        return o;
    }

    /** Test hook: runs in the task after each shard it publishes. */
    SluiceWriteOptions withAfterShardHook(AttemptHook h) {
        SluiceWriteOptions o = copy();
        o.hook = h;
        return o;
    }

    String name() {
        return name;
    }

    String split() {
        return split;
    }

    String splitColumn() {
        return splitColumn;
    }

    long shardBytes() {
        return shardBytes;
    }

    Map<String, String> encodings() {
        return encodings;
    }

    Map<String, EncodingDetector> detectors() {
        return detectors;
    }

    Map<String, long[]> shapes() {
        return shapes;
    }

    Map<String, List<String>> classes() {
        return classes;
    }

    Map<String, Compression> compression() {
        return compression;
    }

    Map<String, String> metadata() {
        return metadata;
    }

    boolean overwrite() {
        return overwrite;
    }

    StoreOptions storeOptions() {
        return store.toOptions();
    }

    String stagingDir() {
        return stagingDir;
    }

    AttemptHook hook() {
        return hook;
    }

    private SluiceWriteOptions copy() {
        SluiceWriteOptions o = new SluiceWriteOptions();
        o.name = name;
        o.split = split;
        o.splitColumn = splitColumn;
        o.shardBytes = shardBytes;
        o.encodings = new LinkedHashMap<>(encodings);
        o.shapes = new LinkedHashMap<>(shapes);
        o.classes = new LinkedHashMap<>(classes);
        o.compression = new LinkedHashMap<>(compression);
        o.metadata = new LinkedHashMap<>(metadata);
        o.detectors = new LinkedHashMap<>(detectors);
        o.overwrite = overwrite;
        o.store = store;
        o.stagingDir = stagingDir;
        o.hook = hook;
        return o;
    }
}
