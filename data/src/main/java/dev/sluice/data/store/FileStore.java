package dev.sluice.data.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * {@link ObjectStore} over a local directory. Objects are files below the root; reads are
 * positional {@link FileChannel} reads straight into the caller's buffer; writes go to a hidden
 * temporary name, are fsynced, then renamed into place.
 */
public final class FileStore implements ObjectStore {

    private static final String TMP_MARK = ".sluice-tmp-";

    private final Path root;
    private final ExecutorService readers;

    /**
     * @param root directory holding the objects (created on the first write if absent)
     * @param readThreads threads serving {@link #readAsync}
     */
    public FileStore(Path root, int readThreads) {
        this.root = root.toAbsolutePath().normalize();
        AtomicInteger n = new AtomicInteger();
        this.readers = Executors.newFixedThreadPool(Math.max(1, readThreads), r -> {
            Thread t = new Thread(r, "sluice-file-read-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** A store with four read threads. */
    public FileStore(Path root) {
        this(root, 4);
    }

    /** Root directory of the store. */
    public Path root() {
        return root;
    }

    @Override
    public String location() {
        return root.toUri().toString();
    }

    private Path path(String key) throws StoreException {
        Path p = root.resolve(key).normalize();
        if (!p.startsWith(root) || key.startsWith("/")) {
            throw new StoreException(location(), key, "key escapes the store root");
        }
        return p;
    }

    @Override
    public long size(String key) throws IOException {
        try {
            return Files.size(path(key));
        } catch (NoSuchFileException e) {
            throw new ObjectNotFoundException(location(), key);
        }
    }

    @Override
    public boolean exists(String key) throws IOException {
        return Files.isRegularFile(path(key));
    }

    @Override
    public void read(String key, long offset, ByteBuffer dst) throws IOException {
        Path p = path(key);
        int want = dst.remaining();
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            long pos = offset;
            while (dst.hasRemaining()) {
                int n = ch.read(dst, pos);
                if (n < 0) {
                    throw new StoreException(location(), key, String.format(
                            "object ends at byte %d but bytes [%d, %d) were requested; the file is"
                                    + " truncated: re-run ingest or restore it",
                            ch.size(), offset, offset + want));
                }
                pos += n;
            }
        } catch (NoSuchFileException e) {
            throw new ObjectNotFoundException(location(), key);
        }
    }

    @Override
    public CompletableFuture<Void> readAsync(String key, long offset, ByteBuffer dst) {
        try {
            return CompletableFuture.runAsync(() -> {
                try {
                    read(key, offset, dst);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, readers);
        } catch (RejectedExecutionException closed) {
            return CompletableFuture.failedFuture(new StoreException(location(), key,
                    "the store was closed before this read; close the loader before its store", closed));
        }
    }

    @Override
    public List<ObjectInfo> list(String prefix) throws IOException {
        List<ObjectInfo> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (!Files.isRegularFile(p)) {
                    continue;
                }
                String key = root.relativize(p).toString().replace('\\', '/');
                // hidden names (temporary files, staging directories) are never objects
                if (key.startsWith(".") || key.contains("/.")) {
                    continue;
                }
                if (key.startsWith(prefix)) {
                    out.add(new ObjectInfo(key, Files.size(p)));
                }
            }
        }
        out.sort((a, b) -> KeyOrder.compare(a.key(), b.key()));
        return out;
    }

    /** Walks the directories lazily, in key order (see {@link KeyOrderWalk}). */
    @Override
    public Iterator<ObjectInfo> iterate(String prefix) throws IOException {
        if (prefix.startsWith("/")) {
            throw new StoreException(location(), prefix, "list prefix must not start with '/'");
        }
        int slash = prefix.lastIndexOf('/');
        path(prefix.substring(0, slash + 1)); // rejects a prefix that escapes the root
        return new KeyOrderWalk(location(), root, prefix);
    }

    /** The subdirectories of {@code root/prefix}, empty ones included, without hidden ones. */
    @Override
    public List<String> directories(String prefix) throws IOException {
        if (!prefix.isEmpty() && !prefix.endsWith("/")) {
            throw new StoreException(location(), prefix, "directories() takes an empty prefix or one ending with '/'");
        }
        Path dir = path(prefix);
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, p -> !p.getFileName().toString().startsWith("."))) {
            for (Path p : ds) {
                if (Files.isDirectory(p)) {
                    out.add(p.getFileName().toString());
                }
            }
        }
        out.sort(KeyOrder::compare);
        return out;
    }

    @Override
    public void publish(String key, Path source) throws IOException {
        Path target = path(key);
        Files.createDirectories(target.getParent());
        Path tmp = tempFor(target);
        try {
            try {
                Files.move(source, tmp, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                // another filesystem: copy, then drop the source we own
                Files.copy(source, tmp, StandardCopyOption.REPLACE_EXISTING);
                Files.delete(source);
            }
            fsync(tmp);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            fsyncDirectory(target.getParent());
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    @Override
    public void put(String key, byte[] bytes) throws IOException {
        Path target = path(key);
        Files.createDirectories(target.getParent());
        Path tmp = tempFor(target);
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            fsyncDirectory(target.getParent());
        } catch (FileAlreadyExistsException e) {
            throw new StoreException(location(), key, "temporary file collision; retry", e);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Deletes the hidden temporaries of puts and publishes that were killed before their rename. */
    @Override
    public void removeTemporaries() throws IOException {
        if (!Files.isDirectory(root)) {
            return;
        }
        List<Path> stale;
        try (Stream<Path> files = Files.walk(root)) {
            stale = files.filter(p -> p.getFileName().toString().contains(TMP_MARK)).toList();
        }
        for (Path p : stale) {
            Files.deleteIfExists(p);
        }
    }

    @Override
    public void delete(String key) throws IOException {
        Files.deleteIfExists(path(key));
    }

    /**
     * Stops the read threads. Reads already queued still run (dropping them would leave their
     * futures incomplete forever); later {@link #readAsync} calls fail with a {@link StoreException}.
     */
    @Override
    public void close() {
        readers.shutdown();
    }

    private static Path tempFor(Path target) {
        return target.resolveSibling("." + target.getFileName() + TMP_MARK + UUID.randomUUID());
    }

    private static void fsync(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    private static void fsyncDirectory(Path dir) {
        // Linux persists a rename only once the directory is synced; not all platforms allow it.
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException ignoredOnPlatformsWithoutDirectorySync) {
            // best effort by design: the rename itself is already atomic
        }
    }

    @Override
    public String toString() {
        return location();
    }
}
