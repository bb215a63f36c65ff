package dev.sluice.data.format;

import dev.sluice.data.store.ObjectStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * Writes a dataset into a store: samples are appended per split, shards are cut at a target size,
 * staged as local files, published one by one, and the manifest is written last so that a reader
 * never sees a manifest naming a missing shard. If {@link #commit} is not reached, {@link #close}
 * deletes every shard this writer published and its staging files: a failed ingest leaves nothing
 * behind. Shard keys carry a random run id, so re-ingesting a split never overwrites shards a live
 * manifest still names.
 */
public final class DatasetWriter implements AutoCloseable {

    private final ObjectStore store;
    private final String name;
    private final Schema schema;
    private final long targetShardBytes;
    private final Path staging;
    private final Map<String, String> metadata;
    private final Manifest base;
    private final String runId;
    private int hashedPrefixes;
    private final Map<String, ShardWriter> open = new LinkedHashMap<>();
    private final Map<String, List<ShardInfo>> written = new LinkedHashMap<>();
    private final List<String> published = new ArrayList<>();
    private boolean committed;

    /**
     * @param store where the dataset goes
     * @param name dataset name recorded in the manifest
     * @param schema fields of every sample
     * @param targetShardBytes a shard is closed once it reaches this size (~64 MB recommended)
     * @param staging a directory for shard files before they are published (created; removed on close);
     *     on the same filesystem as a file store's root so publishing is a rename
     * @param metadata free-form strings recorded in the manifest
     * @param base an existing manifest whose other splits are kept, or null for a new dataset
     */
    public DatasetWriter(ObjectStore store, String name, Schema schema, long targetShardBytes, Path staging,
                         Map<String, String> metadata, Manifest base) throws IOException {
        if (base != null && !base.schema().equals(schema)) {
            throw new ShapeMismatchException(store.location() + ": " + SchemaDifference.describe(base.schema(), schema)
                    + "; write to another location or delete it first");
        }
        this.store = store;
        this.name = name;
        this.schema = schema;
        this.targetShardBytes = targetShardBytes;
        this.staging = Files.createDirectories(staging);
        this.metadata = new LinkedHashMap<>(base == null ? Map.of() : base.metadata());
        this.metadata.putAll(metadata);
        this.base = base;
        this.runId = String.format("%08x", ThreadLocalRandom.current().nextInt());
    }

    /**
     * Spreads the shard keys this writer publishes over {@code count} hashed key prefixes
     * ({@code split/3f/split-run-00000.shard} instead of {@code split/split-run-00000.shard}). S3
     * serves a bounded request rate per key prefix (about 5,500 GET/s), so a large dataset read by
     * many nodes should not sit under one. The manifest records each shard's key, so readers need
     * nothing new. Call before the first {@link #add}.
     *
     * @param count prefixes, 1 to 4096; 1 (the default) keeps keys flat under the split
     */
    public DatasetWriter withHashedPrefixes(int count) {
        if (count < 1 || count > 4096) {
            throw new IllegalArgumentException("hashed prefixes must be 1 to 4096, got " + count);
        }
        if (!written.isEmpty()) {
            throw new IllegalStateException("set hashed prefixes before the first sample is added");
        }
        this.hashedPrefixes = count == 1 ? 0 : count;
        return this;
    }

    /** The key of a split's shard number {@code index}. */
    private String shardKey(String split, int index) {
        String name = String.format("%s-%s-%05d.shard", split, runId, index);
        if (hashedPrefixes == 0) {
            return split + "/" + name;
        }
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        int digits = Integer.toHexString(hashedPrefixes - 1).length();
        String hash = String.format("%0" + digits + "x", crc.getValue() % hashedPrefixes);
        return split + "/" + hash + "/" + name;
    }

    /** Appends one sample to a split (see {@link ShardWriter#add}). */
    public void add(String split, ByteBuffer... values) throws IOException {
        if (!split.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("split name '" + split + "' must match [A-Za-z0-9_.-]+");
        }
        ShardWriter w = open.computeIfAbsent(split, s -> new ShardWriter(schema));
        written.computeIfAbsent(split, s -> new ArrayList<>());
        w.add(values);
        if (w.bytes() >= targetShardBytes) {
            flush(split, w);
        }
    }

    private void flush(String split, ShardWriter w) throws IOException {
        if (w.samples() == 0) {
            return;
        }
        List<ShardInfo> shards = written.get(split);
        String key = shardKey(split, shards.size());
        Path file = staging.resolve(String.format("%s-%05d.shard", split, shards.size()));
        ShardInfo info = w.writeTo(file, key);
        published.add(key);
        store.publish(key, file);
        shards.add(info);
        w.reset();
    }

    /** Shards published so far for a split. */
    public List<ShardInfo> shards(String split) {
        return List.copyOf(written.getOrDefault(split, List.of()));
    }

    /**
     * Flushes open shards, writes the manifest (keeping the base manifest's other splits), then
     * deletes shards of replaced splits that the new manifest no longer names.
     */
    public Manifest commit() throws IOException {
        for (Map.Entry<String, ShardWriter> e : open.entrySet()) {
            flush(e.getKey(), e.getValue());
        }
        String now = Instant.now().toString();
        Map<String, Split> splits = new LinkedHashMap<>(base == null ? Map.of() : base.splits());
        for (Map.Entry<String, List<ShardInfo>> e : written.entrySet()) {
            splits.put(e.getKey(), new Split(e.getKey(), e.getValue()));
        }
        Manifest m = new Manifest(Manifest.MAJOR, Manifest.minorFor(schema), name, now, schema, splits, metadata);
        store.put(Manifest.KEY, ManifestCodec.encode(m));
        committed = true;
        if (base != null) {
            Set<String> live = new HashSet<>();
            m.splits().values().forEach(s -> s.shards().forEach(sh -> live.add(sh.key())));
            for (Split old : base.splits().values()) {
                for (ShardInfo sh : old.shards()) {
                    if (!live.contains(sh.key())) {
                        store.delete(sh.key());
                    }
                }
            }
        }
        return m;
    }

    /** Removes staging files and, unless committed, every shard this writer published. */
    @Override
    public void close() throws IOException {
        IOException failure = null;
        if (!committed) {
            for (String key : published) {
                try {
                    store.delete(key);
                } catch (IOException e) {
                    if (failure == null) {
                        failure = e;
                    } else {
                        failure.addSuppressed(e);
                    }
                }
            }
        }
        if (Files.exists(staging)) {
            try (Stream<Path> files = Files.walk(staging)) {
                for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                    Files.deleteIfExists(p);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
