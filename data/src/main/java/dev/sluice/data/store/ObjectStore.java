package dev.sluice.data.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A flat namespace of immutable objects addressed by keys relative to a root (a directory or an
 * {@code s3://bucket/prefix}). Keys use {@code /} as separator and never start with one.
 *
 * <p>Two implementations exist: {@link FileStore} for local disks and {@code S3Store} for S3 and
 * S3-compatible servers. Reads go into caller-owned buffers so the loader controls every byte of
 * off-heap memory; writes publish whole objects atomically (a reader sees all of an object or
 * nothing).
 */
public interface ObjectStore extends AutoCloseable {

    /** A printable location of the store root without credentials, e.g. {@code file:///data/ds}. */
    String location();

    /**
     * Size of an object in bytes.
     *
     * @throws ObjectNotFoundException if no object has that key
     */
    long size(String key) throws IOException;

    /** Whether an object with that key exists. */
    boolean exists(String key) throws IOException;

    /**
     * Reads exactly {@code dst.remaining()} bytes of {@code key} starting at {@code offset} into
     * {@code dst}, advancing its position. Never returns a short read: if the object ends early or
     * the transfer fails after retries, a {@link StoreException} names the key and byte range.
     */
    void read(String key, long offset, ByteBuffer dst) throws IOException;

    /**
     * Asynchronous form of {@link #read}: the future completes when {@code dst} is full, or
     * exceptionally with the same errors. The caller must not touch {@code dst} until then.
     */
    CompletableFuture<Void> readAsync(String key, long offset, ByteBuffer dst);

    /**
     * Like {@link #readAsync}, completing with what the read took (attempts, hedging). Stores
     * without retries report {@link ReadReport#ONE}. Cancel reads through {@link #readAsync}.
     */
    default CompletableFuture<ReadReport> readReported(String key, long offset, ByteBuffer dst) {
        return readAsync(key, offset, dst).thenApply(v -> ReadReport.ONE);
    }

    /**
     * Like {@link #readReported(String, long, ByteBuffer)}; with {@code crc32c} the store may also
     * checksum the bytes as they arrive, while they are still in cache, and report the CRC-32C in
     * {@link ReadReport#crc32c()}, so that the caller need not read them again to check them. A
     * store that does not (the default) reports {@link ReadReport#NO_CRC}.
     */
    default CompletableFuture<ReadReport> readReported(String key, long offset, ByteBuffer dst, boolean crc32c) {
        return readReported(key, offset, dst);
    }

    /**
     * Objects whose keys start with {@code prefix} (may be empty), sorted by key in {@link KeyOrder}
     * (code points, the order of UTF-8 bytes in which S3 lists), the same for every store.
     */
    List<ObjectInfo> list(String prefix) throws IOException;

    /**
     * Objects whose keys start with {@code prefix}, in key order by Unicode code point (the UTF-8
     * byte order S3 lists in), listed lazily: the real stores hold one listing page or the
     * directories on the current path, never every key, so memory does not grow with the number of
     * objects. The iterator throws {@link java.io.UncheckedIOException} when a later page or
     * directory cannot be listed. This default lists everything first; the real stores override it.
     */
    default Iterator<ObjectInfo> iterate(String prefix) throws IOException {
        List<ObjectInfo> all = new ArrayList<>(list(prefix));
        all.sort((a, b) -> KeyOrder.compare(a.key(), b.key()));
        return all.iterator();
    }

    /**
     * The names of the "directories" directly below {@code prefix} (empty, or ending with
     * {@code /}): each {@code name} such that objects {@code prefix + name + "/..."} exist (on a local
     * disk, the subdirectories, empty ones included), sorted by code point. Hidden names (a leading
     * {@code .}) are left out. This default derives them from {@link #list}; the real stores ask for
     * the directory level only.
     */
    default List<String> directories(String prefix) throws IOException {
        if (!prefix.isEmpty() && !prefix.endsWith("/")) {
            throw new IllegalArgumentException("directories() takes an empty prefix or one ending with '/': " + prefix);
        }
        java.util.TreeSet<String> out = new java.util.TreeSet<>(KeyOrder::compare);
        for (ObjectInfo o : list(prefix)) {
            String rest = o.key().substring(prefix.length());
            int slash = rest.indexOf('/');
            if (slash > 0 && !rest.startsWith(".")) {
                out.add(rest.substring(0, slash));
            }
        }
        return List.copyOf(out);
    }

    /**
     * Publishes a local file as {@code key}, atomically, and takes ownership of the file: it is
     * moved into place or uploaded and then deleted, so large shards are never written twice.
     */
    void publish(String key, Path source) throws IOException;

    /** Publishes {@code bytes} as {@code key}, atomically. */
    void put(String key, byte[] bytes) throws IOException;

    /**
     * Deletes what writes killed half-way left behind that is not an object (a local store's hidden
     * temporary files; nothing on S3, where an upload either completes or leaves no object). For a
     * writer that takes over after a killed one; no other writer may be running on the store.
     */
    default void removeTemporaries() throws IOException {}

    /** Deletes an object; deleting a missing key is not an error. */
    void delete(String key) throws IOException;

    /** Reads a whole (small) object, such as a manifest, into a heap array. */
    default byte[] readAll(String key) throws IOException {
        long size = size(key);
        if (size > Integer.MAX_VALUE - 16) {
            throw new StoreException(location(), key, "object of " + size
                    + " bytes is too large to read into memory at once; read it in ranges");
        }
        ByteBuffer buf = ByteBuffer.allocate((int) size);
        read(key, 0, buf);
        return buf.array();
    }

    /**
     * What this store has done since it was opened: attempts, retries, failures and bytes moved.
     * Stores that keep no counts (local files: no retries, nothing to count) return
     * {@link StoreStats#NONE}.
     */
    default StoreStats stats() {
        return StoreStats.NONE;
    }

    @Override
    void close() throws IOException;
}
