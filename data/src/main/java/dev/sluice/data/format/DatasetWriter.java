package dev.sluice.data.format;

import dev.sluice.data.store.ObjectStore;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Writes a dataset into a store: samples are appended per split, shards are cut at a target size,
 * staged as local files, published one by one, and the manifest is written last so that a reader
 * never sees a manifest naming a missing shard. If {@link #commit} is not reached, {@link #close}
 * deletes every shard this writer published and its staging files: a failed ingest leaves nothing
 * behind. Shard keys carry a random run id, so re-ingesting a split never overwrites shards a live
 * manifest still names; an ingest that resumes an interrupted one passes the interrupted run's id
 * and {@link #adopt adopts} the shards it had published.
 *
 * <p>A full shard is written and published on a background thread while the next one fills, so a
 * slow disk or upload does not stall the caller; at most one shard is in flight, so memory stays at
 * two shards. Methods are called from one thread; a publishing failure is rethrown by the next call.
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
    private Schema schemaNow;
    private final Map<String, ShardWriter> open = new LinkedHashMap<>();
    /** Published shards per split; appended by the publishing thread, hence guarded by {@code this}. */
    private final Map<String, List<ShardInfo>> written = new LinkedHashMap<>();
    /** Keys published or being published, for cleanup; guarded by {@code this}. */
    private final List<String> published = new ArrayList<>();
    /** Shards cut (handed to publishing) per split, adopted ones included: the next shard's number. */
    private final Map<String, Integer> cut = new LinkedHashMap<>();
    private ExecutorService publisher;
    private Future<ShardWriter> inFlight;
    private ShardWriter spare;
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
        this(store, name, schema, targetShardBytes, staging, metadata, base, newRunId());
    }

    /**
     * As {@link #DatasetWriter(ObjectStore, String, Schema, long, Path, Map, Manifest)} with the run id
     * that shard keys carry given ({@code [0-9a-f]{8}}), for an ingest that continues an interrupted one.
     */
    public DatasetWriter(ObjectStore store, String name, Schema schema, long targetShardBytes, Path staging,
                         Map<String, String> metadata, Manifest base, String runId) throws IOException {
        if (!runId.matches("[0-9a-f]{8}")) {
            throw new IllegalArgumentException("run id '" + runId + "' must be 8 lower-case hex digits");
        }
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
        this.runId = runId;
        this.schemaNow = schema;
    }

    /** A fresh random run id for shard keys. */
    public static String newRunId() {
        return String.format("%08x", ThreadLocalRandom.current().nextInt());
    }

    /** The run id shard keys carry. */
    public String runId() {
        return runId;
    }

    /**
     * Takes over shards an interrupted run with the same run id published for a split (verified by
     * the caller), as if this writer had written them: they are listed first in the split, numbering
     * continues after them, and they are deleted if this writer closes without committing.
     */
    public synchronized void adopt(String split, List<ShardInfo> shards) {
        if (written.containsKey(split)) {
            throw new IllegalStateException("split '" + split + "' already has shards from this writer");
        }
        written.put(split, new ArrayList<>(shards));
        cut.put(split, shards.size());
        shards.forEach(s -> published.add(s.key()));
    }

    /**
     * Replaces the schema recorded at commit by one that differs only in the encodings of bytes
     * fields (an importer learns them from the data).
     */
    public void refineSchema(Schema refined) {
        if (refined.size() != schema.size()) {
            throw new IllegalArgumentException("refined schema " + refined + " has other fields than " + schema);
        }
        for (int f = 0; f < schema.size(); f++) {
            FieldSpec a = schema.field(f);
            FieldSpec b = refined.field(f);
            if (!a.name().equals(b.name()) || a.dtype() != b.dtype() || !Arrays.equals(a.shape(), b.shape())
                    || a.compression() != b.compression() || !a.classes().equals(b.classes())) {
                throw new IllegalArgumentException("refined field " + b + " differs from " + a + " in more than its encoding");
            }
        }
        this.schemaNow = refined;
    }

    /** Publishes the split's open shard, if any, and frees its buffers; later samples start a new shard. */
    public void finishSplit(String split) throws IOException {
        ShardWriter w = open.remove(split);
        if (w != null) {
            flush(split, w);
        }
        awaitPublished();
    }

    /** Appends one sample to a split (see {@link ShardWriter#add}). */
    public void add(String split, ByteBuffer... values) throws IOException {
        if (!split.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("split name '" + split + "' must match [A-Za-z0-9_.-]+");
        }
        ShardWriter w = open.get(split);
        if (w == null) {
            w = takeSpare();
            open.put(split, w);
            synchronized (this) {
                written.computeIfAbsent(split, s -> new ArrayList<>());
            }
        }
        w.add(values);
        if (w.bytes() >= targetShardBytes) {
            flush(split, w);
            open.remove(split);
        }
    }

    private ShardWriter takeSpare() {
        ShardWriter w = spare != null ? spare : new ShardWriter(schema);
        spare = null;
        return w;
    }

    /** Hands a full shard to the publishing thread, after the previous one is published. */
    private void flush(String split, ShardWriter w) throws IOException {
        if (w.samples() == 0) {
            return;
        }
        awaitPublished();
        int index = cut.merge(split, 1, Integer::sum) - 1;
        String key = String.format("%s/%s-%s-%05d.shard", split, split, runId, index);
        Path file = staging.resolve(String.format("%s-%05d.shard", split, index));
        synchronized (this) {
            published.add(key);
        }
        if (publisher == null) {
            publisher = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "dataset-publish");
                t.setDaemon(true);
                return t;
            });
        }
        inFlight = publisher.submit(() -> {
            ShardInfo info = w.writeTo(file, key);
            store.publish(key, file);
            synchronized (this) {
                written.get(split).add(info);
            }
            w.reset();
            return w;
        });
    }

    /** Waits for the shard in flight, if any, and rethrows its failure. */
    private void awaitPublished() throws IOException {
        if (inFlight == null) {
            return;
        }
        try {
            spare = inFlight.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while publishing a shard to " + store.location());
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) {
                throw io;
            }
            if (c instanceof RuntimeException re) {
                throw re;
            }
            throw new IOException("publishing a shard to " + store.location() + " failed: " + c, c);
        } finally {
            inFlight = null;
        }
    }

    /** Number of shards cut so far for a split: published, being published, or adopted. */
    public int cutCount(String split) {
        return cut.getOrDefault(split, 0);
    }

    /** Number of shards published so far for a split (without copying the list). */
    public synchronized int shardCount(String split) {
        List<ShardInfo> l = written.get(split);
        return l == null ? 0 : l.size();
    }

    /** Shards published so far for a split. */
    public synchronized List<ShardInfo> shards(String split) {
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
        open.clear();
        awaitPublished();
        if (base != null && !base.schema().equals(schemaNow)) {
            throw new ShapeMismatchException(store.location() + ": " + SchemaDifference.describe(base.schema(), schemaNow)
                    + "; write to another location or delete it first");
        }
        String now = Instant.now().toString();
        Map<String, Split> splits = new LinkedHashMap<>(base == null ? Map.of() : base.splits());
        for (Map.Entry<String, List<ShardInfo>> e : written.entrySet()) {
            splits.put(e.getKey(), new Split(e.getKey(), e.getValue()));
        }
        Manifest m = new Manifest(Manifest.MAJOR, Manifest.minorFor(schemaNow), name, now, schemaNow, splits, metadata);
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
        if (publisher != null) {
            // let a shard in flight finish or fail, so that its key can be deleted below
            publisher.shutdown();
            try {
                if (!publisher.awaitTermination(10, TimeUnit.MINUTES)) {
                    failure = new IOException("a shard upload to " + store.location() + " did not finish in 10 minutes");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure = new InterruptedIOException("interrupted while closing the writer of " + store.location());
            }
        }
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
