package dev.sluice.data.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * The files below a directory as store keys, lazily, in {@link KeyOrder}: each directory's entries
 * are sorted with a directory named {@code d} sorting as {@code d/}, which is where its keys fall
 * among its siblings'. Only the listings of the directories on the current path are held, so memory
 * is bounded by the largest directory, not by the number of files. Hidden names (a leading '.') are
 * skipped; links are followed, and a link back to a directory on the current path (a loop) fails
 * the walk with a {@link StoreException} naming it instead of walking forever.
 */
final class KeyOrderWalk implements Iterator<ObjectInfo> {

    /** {@code dirId}: a directory's identity for loop detection ({@link #identity}); null for a file. */
    private record Entry(Path path, String key, boolean directory, long size, Object dirId) {}

    private final String location;
    private final Deque<Iterator<Entry>> stack = new ArrayDeque<>();
    /** The identities ({@link #identity}) of the directories on the current path, for loop detection. */
    private final Deque<Object> onPath = new ArrayDeque<>();
    private ObjectInfo next;

    /**
     * @param location the store's printable location, for errors
     * @param root the store root
     * @param prefix keys to list start with this
     */
    KeyOrderWalk(String location, Path root, String prefix) {
        this.location = location;
        int slash = prefix.lastIndexOf('/');
        String dirKey = prefix.substring(0, slash + 1);
        Path dir = root.resolve(dirKey);
        if (Files.isDirectory(dir)) {
            // the root and every directory down to the start count as on the path: a link below the
            // start that leads back above it is a loop too, and is named where it is
            Path d = root;
            try {
                onPath.push(identity(Files.readAttributes(d, BasicFileAttributes.class)));
                for (Path part : root.relativize(dir)) {
                    if (part.toString().isEmpty()) {
                        continue;
                    }
                    d = d.resolve(part);
                    onPath.push(identity(Files.readAttributes(d, BasicFileAttributes.class)));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(new StoreException(location, "", "cannot read " + d + " (" + e
                        + ")", e));
            }
            stack.push(entries(dir, dirKey, prefix.substring(slash + 1)).iterator());
        }
    }

    private List<Entry> entries(Path dir, String dirKey, String startsWith) {
        List<Entry> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (name.startsWith(".") || !name.startsWith(startsWith)) {
                    continue;
                }
                BasicFileAttributes a;
                try {
                    a = Files.readAttributes(p, BasicFileAttributes.class);
                } catch (NoSuchFileException gone) {
                    continue; // removed since the directory was read: not an object any more
                }
                if (a.isDirectory()) {
                    out.add(new Entry(p, dirKey + name + "/", true, 0, identity(a)));
                } else if (a.isRegularFile()) {
                    out.add(new Entry(p, dirKey + name, false, a.size(), null));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(new StoreException(location, dirKey,
                    "cannot list the directory " + dir + " (" + e + ")", e));
        }
        out.sort((x, y) -> KeyOrder.compare(x.key(), y.key()));
        return out;
    }

    @Override
    public boolean hasNext() {
        while (next == null && !stack.isEmpty()) {
            Iterator<Entry> top = stack.peek();
            if (!top.hasNext()) {
                stack.pop();
                if (!stack.isEmpty()) {
                    onPath.pop(); // the start's ancestors stay: they are on the path to the end
                }
                continue;
            }
            Entry e = top.next();
            if (e.directory()) {
                if (onPath.contains(e.dirId())) {
                    throw new UncheckedIOException(new StoreException(location, e.key(), e.path()
                            + " is a link back to a directory that contains it (a loop); remove the link or"
                            + " point it elsewhere"));
                }
                stack.push(entries(e.path(), e.key(), "").iterator());
                onPath.push(e.dirId());
            } else {
                next = new ObjectInfo(e.key(), e.size());
            }
        }
        return next != null;
    }

    /**
     * A directory's identity: its file key (device and inode), or a fresh object where the file
     * system has none, which matches nothing (no loop check there).
     */
    private static Object identity(BasicFileAttributes a) {
        Object k = a.fileKey();
        return k != null ? k : new Object();
    }

    @Override
    public ObjectInfo next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        ObjectInfo o = next;
        next = null;
        return o;
    }
}
