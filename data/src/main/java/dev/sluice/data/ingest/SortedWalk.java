package dev.sluice.data.ingest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * The regular files under a directory, depth first with each directory's entries in name order,
 * listed lazily: only the directories on the current path are held, so memory is bounded by the
 * largest directory, not by the number of files. Names starting with '.' are ignored.
 */
final class SortedWalk implements Iterator<Path> {

    private final Deque<Iterator<Path>> stack = new ArrayDeque<>();
    private Path next;

    SortedWalk(Path dir) {
        stack.push(list(dir).iterator());
    }

    /** The entries of one directory, sorted by name, without hidden ones. */
    static List<Path> list(Path dir) {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, p -> !p.getFileName().toString().startsWith("."))) {
            ds.forEach(out::add);
        } catch (IOException e) {
            throw new UncheckedIOException(new InputException(dir + ": cannot list the directory (" + e + ")", e));
        }
        out.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
        return out;
    }

    @Override
    public boolean hasNext() {
        while (next == null && !stack.isEmpty()) {
            Iterator<Path> top = stack.peek();
            if (!top.hasNext()) {
                stack.pop();
                continue;
            }
            Path p = top.next();
            BasicFileAttributes a;
            try {
                // one stat per entry, following links as torchvision does
                a = Files.readAttributes(p, BasicFileAttributes.class);
            } catch (IOException e) {
                throw new UncheckedIOException(new InputException(p + ": cannot read its attributes (" + e + ")", e));
            }
            if (a.isDirectory()) {
                stack.push(list(p).iterator());
            } else if (a.isRegularFile()) {
                next = p;
            }
        }
        return next != null;
    }

    @Override
    public Path next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        Path p = next;
        next = null;
        return p;
    }
}
