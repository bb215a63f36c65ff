package dev.sluice.data.loader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Locks that coordinate the processes sharing one shard cache directory: byte-range locks on one
 * file, {@code cache.lock}, two bytes per entry, so no lock file is ever created or deleted per entry
 * (deleting a lock file while another process waits on it would let two processes hold "the" lock).
 *
 * <ul>
 *   <li>the <b>claim</b> of an entry (exclusive, byte {@code 2 id}) is held by whoever downloads and
 *       fills it, so a shard is downloaded once per node: the others wait in the kernel
 *       ({@link FileChannel#lock}) and then find the entry;
 *   <li>the <b>pin</b> of an entry (byte {@code 2 id + 1}) is held shared by every reader while it
 *       copies the entry; eviction deletes an entry only under a non-blocking exclusive pin.
 * </ul>
 *
 * <p>The kernel drops a process's locks when it dies, so a killed downloader never blocks the others.
 * Locks of the file are per process (POSIX), and closing any channel of the file drops all of this
 * JVM's locks on it; so there is one instance, with one channel that stays open, per directory per
 * JVM, and it also serializes this JVM's own users of an entry (overlapping locks within one JVM
 * would throw {@link java.nio.channels.OverlappingFileLockException}). Threads that block here must
 * not be interrupted: an interrupt closes the channel.
 */
final class CacheLocks {

    static final String FILE = "cache.lock";

    private static final ConcurrentHashMap<Path, CacheLocks> BY_DIR = new ConcurrentHashMap<>();

    private final Path file;
    private final FileChannel channel;
    private final ConcurrentHashMap<Long, Entry> entries = new ConcurrentHashMap<>();
    private final AtomicLong deadlockReports = new AtomicLong();

    /** This JVM's state of one entry: its claim (held by at most one thread) and its readers. */
    private static final class Entry {
        final Semaphore claim = new Semaphore(1);
        int readers; // guarded by this
        FileLock pin; // guarded by this; held while readers > 0
    }

    private CacheLocks(Path file) throws IOException {
        this.file = file;
        this.channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
    }

    /** The locks of cache directory {@code dir} (its real path). */
    static CacheLocks of(Path dir) throws IOException {
        try {
            // an instance whose channel was closed (a blocked thread was interrupted) has lost its
            // locks and can take no more: replace it rather than fail every later cache on this directory
            BY_DIR.computeIfPresent(dir, (d, locks) -> locks.channel.isOpen() ? locks : null);
            return BY_DIR.computeIfAbsent(dir, d -> {
                try {
                    return new CacheLocks(d.resolve(FILE));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw new IOException("cannot open the lock file of shard cache " + dir + ": " + e.getCause().getMessage()
                    + "; check that the directory is writable", e.getCause());
        }
    }

    private Entry entry(long id) {
        return entries.computeIfAbsent(id, k -> new Entry());
    }

    /** A held claim; {@link #close()} releases it (once). */
    final class Claim implements AutoCloseable {
        private final Entry entry;
        private final FileLock lock;
        private boolean released;

        private Claim(Entry entry, FileLock lock) {
            this.entry = entry;
            this.lock = lock;
        }

        @Override
        public synchronized void close() throws IOException {
            if (released) {
                return;
            }
            released = true;
            try {
                lock.release();
            } finally {
                entry.claim.release();
            }
        }
    }

    /** The claim of entry {@code id}, or null when a thread of this or another process holds it. */
    Claim tryClaim(long id) throws IOException {
        Entry e = entry(id);
        if (!e.claim.tryAcquire()) {
            return null;
        }
        try {
            FileLock l = channel.tryLock(claimByte(id), 1, false);
            if (l == null) {
                e.claim.release();
                return null;
            }
            return new Claim(e, l);
        } catch (IOException | RuntimeException | Error x) {
            e.claim.release();
            throw x;
        }
    }

    /** Waits for the claim of entry {@code id}: until its holder, here or in another process, lets go or dies. */
    Claim claim(long id) throws IOException, InterruptedException {
        Entry e = entry(id);
        e.claim.acquire();
        try {
            return new Claim(e, await(claimByte(id), false));
        } catch (IOException | InterruptedException | RuntimeException | Error x) {
            e.claim.release();
            throw x;
        }
    }

    /** A held pin; {@link #close()} releases it (once). */
    final class Pin implements AutoCloseable {
        private final Entry entry;
        private boolean released;

        private Pin(Entry entry) {
            this.entry = entry;
        }

        @Override
        public void close() throws IOException {
            synchronized (this) {
                if (released) {
                    return;
                }
                released = true;
            }
            synchronized (entry) {
                if (--entry.readers == 0) {
                    FileLock l = entry.pin;
                    entry.pin = null;
                    l.release();
                }
            }
        }
    }

    /**
     * Pins entry {@code id} for reading: eviction (here or in another process) leaves it alone until
     * the pin is closed. Waits only while an eviction is deleting the entry.
     */
    Pin pin(long id) throws IOException, InterruptedException {
        Entry e = entry(id);
        synchronized (e) {
            if (e.readers == 0) {
                e.pin = await(pinByte(id), true);
            }
            e.readers++;
        }
        return new Pin(e);
    }

    /**
     * Waits in the kernel for the lock of one byte. The kernel tracks POSIX locks per process, not
     * per thread, so when process A waits for B's claim on one shard while B waits for A's claim on
     * another it reports a deadlock (EDEADLK), though each claim's holder is downloading and will let
     * go. No thread here waits while holding a lock another waits for, so such a report is always
     * false: wait a little and ask again. EDEADLK is the one error only a waiting request gets, so a
     * failed wait is told from a real error (no locks on this file system, say) by asking once
     * without waiting: that gets the lock, finds it taken, or fails the same way.
     */
    private FileLock await(long position, boolean shared) throws IOException, InterruptedException {
        long backoffMillis = 1;
        while (true) {
            try {
                return channel.lock(position, 1, shared);
            } catch (IOException waitFailed) {
                FileLock now;
                try {
                    now = channel.tryLock(position, 1, shared);
                } catch (IOException real) {
                    real.addSuppressed(waitFailed);
                    throw real;
                }
                if (now != null) {
                    return now;
                }
                deadlockReports.incrementAndGet();
            }
            Thread.sleep(backoffMillis);
            backoffMillis = Math.min(2 * backoffMillis, 50);
        }
    }

    /** What eviction does to an entry nobody reads. */
    interface Removal {
        void run() throws IOException;
    }

    /**
     * Runs {@code removal} if no reader of this or another process holds entry {@code id}'s pin, and
     * keeps new readers out while it runs.
     *
     * @return false, without running it, when the entry is being read
     */
    boolean ifUnread(long id, Removal removal) throws IOException {
        Entry e = entry(id);
        synchronized (e) {
            if (e.readers > 0) {
                return false;
            }
            FileLock x = channel.tryLock(pinByte(id), 1, false);
            if (x == null) {
                return false;
            }
            try {
                removal.run();
            } finally {
                x.release();
            }
            return true;
        }
    }

    Path file() {
        return file;
    }

    /** How many times the kernel reported a (false) deadlock to a waiter here. */
    long deadlockReports() {
        return deadlockReports.get();
    }

    // ids are below 2^61, so both bytes (and their ends) are valid lock positions
    private static long claimByte(long id) {
        return 2 * id;
    }

    private static long pinByte(long id) {
        return 2 * id + 1;
    }
}
