package dev.sluice.data.format;

import dev.sluice.data.store.ObjectStore;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

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
 * slow disk or upload does not stall the caller; at most two shards are in flight (written at once,
 * on two threads, so the last shards of an ingest do not wait for each other), so memory stays at
 * three shards. Shards are listed in the order they were cut, whichever finished first. Methods are called from one thread; a publishing failure is rethrown by the next call.
 */
public final class DatasetWriter implements AutoCloseable {

    private final ObjectStore store;
    private final String name;
    private final Schema schema;
    private final long targetShardBytes;
    private final Path staging;
    /** Whether this writer created {@link #staging} (then it removes it on close, once empty). */
    private final boolean createdStaging;
    /** Files this writer staged; close removes those still there, and nothing else. Guarded by {@code this}. */
    private final List<Path> stagedFiles = new ArrayList<>();
    private final Map<String, String> metadata;
    private final Manifest base;
    private final String runId;
    private Schema schemaNow;
    private int hashedPrefixes;
    private final Map<String, ShardWriter> open = new LinkedHashMap<>();
    /** Published shards per split; appended by the publishing thread, hence guarded by {@code this}. */
    private final Map<String, List<ShardInfo>> written = new LinkedHashMap<>();
    /** Keys published or being published, for cleanup; guarded by {@code this}. */
    private final List<String> published = new ArrayList<>();
    /** Shards cut (handed to publishing) per split, adopted ones included: the next shard's number. */
    private final Map<String, Integer> cut = new LinkedHashMap<>();
    /** Shards written and published at once while the next fills: two overlap the last shards' writes. */
    private static final int IN_FLIGHT = 2;
    private ExecutorService publisher;
    /** Shards being written and published, oldest first: at most {@link #IN_FLIGHT}. */
    private final ArrayDeque<Future<ShardWriter>> inFlight = new ArrayDeque<>();
    private final ArrayDeque<ShardWriter> spares = new ArrayDeque<>();
    /** Shards published before one cut earlier, per split by number, until that one is; guarded by {@code this}. */
    private final Map<String, TreeMap<Integer, ShardInfo>> early = new HashMap<>();
    private boolean committed;

    /**
     * @param store where the dataset goes
     * @param name dataset name recorded in the manifest
     * @param schema fields of every sample
     * @param targetShardBytes a shard is closed once it reaches this size (~64 MB recommended)
     * @param staging a directory for shard files before they are published, on the same filesystem
     *     as a file store's root so publishing is a rename; created if missing. On close the writer
     *     removes the files it staged there, and the directory if it created it and it is empty:
     *     nothing else in it is touched
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
        this.createdStaging = !Files.isDirectory(staging);
        this.staging = createStaging(staging);
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

    /**
     * Spreads the shard keys this writer publishes over {@code count} hashed key prefixes
     * ({@code split/3f/split-run-00000.shard} instead of {@code split/split-run-00000.shard}). S3
     * serves a bounded request rate per key prefix (about 5,500 GET/s), so a large dataset read by
     * many nodes should not sit under one. The manifest records each shard's key, so readers need
     * nothing new. Call before the first shard is cut.
     *
     * @param count prefixes, 1 to 4096; 1 (the default) keeps keys flat under the split
     */
    public DatasetWriter withHashedPrefixes(int count) {
        if (count < 1 || count > 4096) {
            throw new IllegalArgumentException("hashed prefixes must be 1 to 4096, got " + count);
        }
        if (!cut.isEmpty()) {
            throw new IllegalStateException("set hashed prefixes before the first shard is cut");
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
        ShardWriter w = spares.poll();
        return w != null ? w : new ShardWriter(schema);
    }

    /** Hands a full shard to a publishing thread, once fewer than {@link #IN_FLIGHT} are in flight. */
    private void flush(String split, ShardWriter w) throws IOException {
        if (w.samples() == 0) {
            return;
        }
        while (inFlight.size() >= IN_FLIGHT) {
            awaitOldest();
        }
        int index = cut.merge(split, 1, Integer::sum) - 1;
        String key = shardKey(split, index);
        // the run id keeps two writers that share a staging directory (or a file of the caller's) apart
        Path file = staging.resolve(String.format("%s-%s-%05d.shard", split, runId, index));
        synchronized (this) {
            published.add(key);
            stagedFiles.add(file);
        }
        if (publisher == null) {
            publisher = Executors.newFixedThreadPool(IN_FLIGHT, r -> {
                Thread t = new Thread(r, "dataset-publish");
                t.setDaemon(true);
                return t;
            });
        }
        inFlight.add(publisher.submit(() -> {
            ShardInfo info = w.writeTo(file, key);
            store.publish(key, file);
            published(split, index, info);
            w.reset();
            return w;
        }));
    }

    /** Records a published shard; the split's list grows only in shard order, so it never has a hole. */
    private synchronized void published(String split, int index, ShardInfo info) {
        TreeMap<Integer, ShardInfo> waiting = early.computeIfAbsent(split, s -> new TreeMap<>());
        waiting.put(index, info);
        List<ShardInfo> list = written.get(split);
        while (waiting.containsKey(list.size())) {
            list.add(waiting.remove(list.size()));
        }
    }

    /** Waits for every shard in flight and rethrows the first failure. */
    private void awaitPublished() throws IOException {
        while (!inFlight.isEmpty()) {
            awaitOldest();
        }
    }

    /** Waits for the oldest shard in flight and rethrows its failure. */
    private void awaitOldest() throws IOException {
        Future<ShardWriter> oldest = inFlight.poll();
        try {
            spares.add(oldest.get());
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

    /**
     * Creates the staging directory readable by this user alone where the file system has POSIX
     * permissions: it holds the dataset's shards before they are published, often in a shared
     * temporary directory. Missing parents (such as the dataset's own directory, when staging is
     * inside it) get the usual permissions.
     */
    private static Path createStaging(Path dir) throws IOException {
        if (Files.isDirectory(dir) || !dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return Files.createDirectories(dir);
        }
        Path parent = dir.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        return Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
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
                    failure = firstOf(failure, e);
                }
            }
        }
        // only what this writer put there: a staging directory the caller named may hold their files
        List<Path> staged;
        synchronized (this) {
            staged = List.copyOf(stagedFiles);
        }
        for (Path p : staged) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                failure = firstOf(failure, e);
            }
        }
        if (createdStaging) {
            try {
                Files.deleteIfExists(staging);
            } catch (DirectoryNotEmptyException e) {
                // someone else's files arrived in it meanwhile: theirs to remove
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** The failure to throw once every step of a cleanup was tried: the first, with later ones suppressed. */
    private static IOException firstOf(IOException first, IOException next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }
}
