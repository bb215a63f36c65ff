package dev.sluice.data.loader;

import dev.sluice.data.format.ShardInfo;
import java.io.IOException;
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
 * size, CRC32C) and only ever hold bytes whose CRC32C matched the manifest.
 *
 * <p>One directory serves every process of a node (one per GPU): a shard is downloaded once per
 * node. A process that misses takes the entry's claim ({@link CacheLocks}); the others wait for the
 * claim and then read the entry the first one filled. The filler writes a temporary file
 * ({@code <entry>.part-<uuid>}) and renames it into place, so a reader sees a whole entry or none;
 * a process killed mid-download loses its claim with its life and leaves at most a temporary file,
 * which is never read as an entry and is deleted by the next process to claim that entry or to
 * evict. Readers pin an entry while they copy it, and eviction skips pinned entries, so the
 * directory may exceed its budget by the shards being read at that moment. The budget counts the
 * entries in the directory, whichever process filled them.
 */
public final class ShardCache {

    private static final String SUFFIX = ".shard";
    private static final String PART = ".part-";
    private static final int NAME_HEX = 32;

    private final Path dir;
    private final long budget;
    private final CacheLocks locks;
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();
    private final AtomicLong evictions = new AtomicLong();
    private final AtomicLong damaged = new AtomicLong();
    private final AtomicLong fills = new AtomicLong();
    private final AtomicLong waits = new AtomicLong();

    /**
     * @param dir cache directory (created if absent); other processes may use it at the same time
     * @param budgetBytes most bytes the cache keeps on disk
     */
    public ShardCache(Path dir, long budgetBytes) throws IOException {
        this.dir = Files.createDirectories(dir).toRealPath();
        this.budget = budgetBytes;
        this.locks = CacheLocks.of(this.dir);
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
            return dir.resolve(HexFormat.of().formatHex(md.digest(), 0, NAME_HEX / 2) + SUFFIX);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** The lock id of an entry or temporary file: the first 61 bits of its name's hash; -1 if not ours. */
    static long id(Path file) {
        String name = file.getFileName().toString();
        if (name.length() < NAME_HEX) {
            return -1;
        }
        try {
            return HexFormat.fromHexDigitsToLong(name, 0, 16) >>> 3;
        } catch (IllegalArgumentException e) {
            return -1;
        }
    }

    /**
     * What {@link #readOrClaim} found: a hit (the bytes are in the buffer), or a miss with the claim to
     * fill the entry (null when the shard is not cached at all: larger than the budget).
     */
    record Lookup(boolean hit, Claim claim) {}

    private static final Lookup HIT = new Lookup(true, null);

    /**
     * Reads the cached copy of a shard into {@code dst} (position 0, limit = shard size); on a miss,
     * waits while another thread or process is downloading the shard, then reads what it filled. If
     * there is still no entry, the caller gets the entry's claim: it downloads the shard, {@link
     * Claim#fill fills} the entry and closes the claim, and until then the others wait.
     */
    Lookup readOrClaim(String storeLocation, ShardInfo shard, ByteBuffer dst) throws IOException,
            InterruptedException {
        if (shard.bytes() > budget) {
            misses.incrementAndGet();
            return new Lookup(false, null);
        }
        Path p = entry(storeLocation, shard);
        long id = id(p);
        if (readPinned(id, p, shard, dst)) {
            hits.incrementAndGet();
            return HIT;
        }
        CacheLocks.Claim claim = locks.tryClaim(id);
        if (claim == null) {
            waits.incrementAndGet();
            claim = locks.claim(id);
        }
        try {
            if (readPinned(id, p, shard, dst)) {
                hits.incrementAndGet();
                claim.close();
                return HIT;
            }
            // with the claim held nobody is writing this entry: part files are a dead filler's
            deleteParts(p);
        } catch (IOException | InterruptedException | RuntimeException | Error e) {
            claim.close();
            throw e;
        }
        misses.incrementAndGet();
        return new Lookup(false, new Claim(claim, p, shard));
    }

    /** Copies entry {@code p} under its pin; false when there is no whole entry. */
    private boolean readPinned(long id, Path p, ShardInfo shard, ByteBuffer dst) throws IOException,
            InterruptedException {
        try (CacheLocks.Pin pin = locks.pin(id);
             FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            if (ch.size() != shard.bytes()) {
                return false;
            }
            dst.clear().limit((int) shard.bytes());
            long pos = 0;
            while (dst.hasRemaining()) {
                int n = ch.read(dst, pos);
                if (n < 0) {
                    return false;
                }
                pos += n;
            }
            dst.flip();
            // mark as recently used while still pinned, so eviction cannot have removed it
            Files.setLastModifiedTime(p, FileTime.fromMillis(System.currentTimeMillis()));
            return true;
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    /** The right to fill one entry; close it (also after {@link #fill}) to let waiting readers in. */
    final class Claim implements AutoCloseable {
        private final CacheLocks.Claim lock;
        private final Path target;
        private final ShardInfo shard;

        private Claim(CacheLocks.Claim lock, Path target, ShardInfo shard) {
            this.lock = lock;
            this.target = target;
            this.shard = shard;
        }

        /**
         * Stores verified shard bytes ({@code src} position 0 to limit) and evicts least recently
         * used entries, that nobody reads, until the cache fits its budget.
         */
        void fill(ByteBuffer src) throws IOException {
            Path tmp = dir.resolve(target.getFileName() + PART + UUID.randomUUID());
            try {
                try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE)) {
                    ByteBuffer b = src.duplicate().position(0).limit((int) shard.bytes());
                    while (b.hasRemaining()) {
                        ch.write(b);
                    }
                }
                // no fsync: a process killed now loses nothing the kernel has; after a power loss an
                // entry may be short or garbled, which the size check and the CRC32C on every read catch
                try {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    throw new IOException("cache directory " + dir + " does not support atomic renames", e);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
            fills.incrementAndGet();
            evictToBudget(target);
        }

        @Override
        public void close() throws IOException {
            lock.close();
        }
    }

    /**
     * Deletes the entry that {@link #readOrClaim} just served as a hit, after its bytes failed the
     * shard's checks: it counts as damaged, not as a hit (the lookup that follows counts whatever it
     * finds: usually a miss, or a hit on a copy another process has just written).
     *
     * @return the entry's path, for the caller's warning
     */
    Path dropDamaged(String storeLocation, ShardInfo shard) throws IOException {
        Path p = entry(storeLocation, shard);
        hits.decrementAndGet();
        damaged.incrementAndGet();
        Files.deleteIfExists(p);
        return p;
    }

    private void deleteParts(Path entry) throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, entry.getFileName() + PART + "*")) {
            for (Path p : ds) {
                Files.deleteIfExists(p);
            }
        }
    }

    private void evictToBudget(Path keep) throws IOException {
        record Entry(Path path, long id, long size, FileTime used) {}
        synchronized (locks) {
            List<Entry> entries = new ArrayList<>();
            long total = 0;
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
                for (Path p : ds) {
                    String name = p.getFileName().toString();
                    long id = id(p);
                    try {
                        if (name.endsWith(SUFFIX) && id >= 0) {
                            long size = Files.size(p);
                            entries.add(new Entry(p, id, size, Files.getLastModifiedTime(p)));
                            total += size;
                        } else if (name.contains(PART) && id >= 0) {
                            removeIfAbandoned(id, p);
                        }
                    } catch (NoSuchFileException e) {
                        // another process evicted or renamed it meanwhile
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
                // an entry another process (or thread) is reading stays: the budget waits for it
                if (locks.ifUnread(e.id(), () -> Files.deleteIfExists(e.path()))) {
                    total -= e.size();
                    evictions.incrementAndGet();
                }
            }
        }
    }

    /** Deletes a temporary file if nobody holds its entry's claim: its writer died or failed. */
    private void removeIfAbandoned(long id, Path part) throws IOException {
        CacheLocks.Claim c = locks.tryClaim(id);
        if (c != null) {
            try (c) {
                Files.deleteIfExists(part);
            }
        }
    }

    /** Bytes the cache's entries take on disk now. */
    public long sizeOnDisk() throws IOException {
        long total = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path p : ds) {
                try {
                    total += Files.size(p);
                } catch (NoSuchFileException evictedMeanwhile) {
                    continue;
                }
            }
        }
        return total;
    }

    /** Shards this cache served from disk (including those another process downloaded). */
    public long hits() {
        return hits.get();
    }

    /** Lookups that found no entry and left the download to the caller. */
    public long misses() {
        return misses.get();
    }

    /** Entries found damaged (failing the shard's checks) and deleted, to be fetched again. */
    public long damaged() {
        return damaged.get();
    }

    /** Entries this cache deleted to stay within the budget. */
    public long evictions() {
        return evictions.get();
    }

    /** Entries this cache filled with downloaded bytes. */
    public long fills() {
        return fills.get();
    }

    /** Lookups that waited for another thread's or process's download of the same shard. */
    public long waits() {
        return waits.get();
    }
}
