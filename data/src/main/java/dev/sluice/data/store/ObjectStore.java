package dev.sluice.data.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
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

    /** Objects whose keys start with {@code prefix} (may be empty), sorted by key. */
    List<ObjectInfo> list(String prefix) throws IOException;

    /**
     * Publishes a local file as {@code key}, atomically, and takes ownership of the file: it is
     * moved into place or uploaded and then deleted, so large shards are never written twice.
     */
    void publish(String key, Path source) throws IOException;

    /** Publishes {@code bytes} as {@code key}, atomically. */
    void put(String key, byte[] bytes) throws IOException;

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
