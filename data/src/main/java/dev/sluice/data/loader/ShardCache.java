package dev.sluice.data.loader;

import dev.sluice.data.format.ShardInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A local disk cache of whole shards within a byte budget, least recently used first out, so a
 * dataset larger than the disk still streams. Entries are named by a hash of (store location, key,
 * size, CRC32C), filled under a temporary name and renamed into place, so several processes on one
 * machine can share the directory: a reader sees a whole entry or none. Entries are only filled with
 * bytes whose CRC32C matched the manifest.
 */
public final class ShardCache {

    private static final String SUFFIX = ".shard";

    private final Path dir;
    private final long budget;
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();
    private final AtomicLong evictions = new AtomicLong();

    /**
     * @param dir cache directory (created if absent)
     * @param budgetBytes most bytes the cache keeps on disk
     */
    public ShardCache(Path dir, long budgetBytes) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.budget = budgetBytes;
    }

    public Path dir() {
        return dir;
    }

    public long budgetBytes() {
        return budget;
    }

    Path entry(String storeLocation, ShardInfo shard) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update((storeLocation + "\n" + shard.key() + "\n" + shard.bytes() + "\n" + shard.crc32cHex())
                    .getBytes(StandardCharsets.UTF_8));
            return dir.resolve(HexFormat.of().formatHex(md.digest(), 0, 16) + SUFFIX);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /**
     * Reads the cached copy of a shard into {@code dst} (position 0, limit = shard size).
     *
     * @return true on a hit; false (and {@code dst} untouched) when there is no entry
     */
    boolean read(String storeLocation, ShardInfo shard, ByteBuffer dst) throws IOException {
        Path p = entry(storeLocation, shard);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            if (ch.size() != shard.bytes()) {
                misses.incrementAndGet();
                return false;
            }
            dst.clear().limit((int) shard.bytes());
            long pos = 0;
            while (dst.hasRemaining()) {
                int n = ch.read(dst, pos);
                if (n < 0) {
                    misses.incrementAndGet();
                    return false;
                }
                pos += n;
            }
            dst.flip();
        } catch (NoSuchFileException e) {
            misses.incrementAndGet();
            return false;
        }
        touch(p);
        hits.incrementAndGet();
        return true;
    }

    /** Drops an entry that turned out to be damaged. */
    void evict(String storeLocation, ShardInfo shard) throws IOException {
        Files.deleteIfExists(entry(storeLocation, shard));
    }

    /**
     * Stores verified shard bytes ({@code src} position 0 to limit) and evicts least recently used
     * entries until the cache fits its budget. A shard larger than the budget is not cached.
     */
    void fill(String storeLocation, ShardInfo shard, ByteBuffer src) throws IOException {
        if (shard.bytes() > budget) {
            return;
        }
        Path target = entry(storeLocation, shard);
        Path tmp = dir.resolve(".tmp-" + UUID.randomUUID());
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer b = src.duplicate().position(0).limit((int) shard.bytes());
                while (b.hasRemaining()) {
                    ch.write(b);
                }
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cache directory " + dir + " does not support atomic renames", e);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        evictToBudget(target);
    }

    private synchronized void evictToBudget(Path keep) throws IOException {
        record Entry(Path path, long size, FileTime used) {}
        List<Entry> entries = new ArrayList<>();
        long total = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path p : ds) {
                try {
                    long size = Files.size(p);
                    entries.add(new Entry(p, size, Files.getLastModifiedTime(p)));
                    total += size;
                } catch (NoSuchFileException e) {
                    // another process evicted it meanwhile
                    continue;
                }
            }
        }
        if (total <= budget) {
            return;
        }
        entries.sort((a, b) -> a.used().compareTo(b.used()));
        for (Entry e : entries) {
            if (total <= budget) {
                break;
            }
            if (e.path().equals(keep)) {
                continue;
            }
            Files.deleteIfExists(e.path());
            total -= e.size();
            evictions.incrementAndGet();
        }
    }

    private static void touch(Path p) {
        try {
            Files.setLastModifiedTime(p, FileTime.fromMillis(System.currentTimeMillis()));
        } catch (IOException e) {
            // evicted by another process between the read and now: nothing left to mark as used
            if (!(e instanceof NoSuchFileException)) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** Bytes the cache holds on disk now. */
    public long sizeOnDisk() throws IOException {
        long total = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path p : ds) {
                total += Files.size(p);
            }
        }
        return total;
    }

    public long hits() {
        return hits.get();
    }

    public long misses() {
        return misses.get();
    }

    public long evictions() {
        return evictions.get();
    }
}
