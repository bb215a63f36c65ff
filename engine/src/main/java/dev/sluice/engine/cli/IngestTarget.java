package dev.sluice.engine.cli;

import dev.sluice.data.format.Manifest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The local directory an ingest writes to, checked before the ingest and tidied after a failed one.
 * The check refuses a directory that holds other files than a Sluice dataset or an interrupted
 * ingest's (so an ingest never mixes its shards with the user's files); the tidying removes the
 * directories the ingest created, and only those, when they hold no files (a failed ingest has
 * already deleted its shards; what is left are the directories they were written into).
 */
final class IngestTarget {

    /** The journal an interrupted ingest leaves (IngestJournal.KEY, package-private in the data module). */
    static final String JOURNAL = ".ingest-journal.json";
    /** The default staging directory inside the target (see IngestCommand). */
    static final String STAGING = ".sluice-staging";
    /** The mark in the names of FileStore's temporary files (a put or publish killed before its rename). */
    private static final String TMP_MARK = ".sluice-tmp-";

    private final Path root;
    /** The target's own staging directory, when the ingest stages there (no --staging), else null. */
    private final Path staging;
    /** The outermost directory the ingest will create (root or an ancestor), or null if root exists. */
    private final Path created;
    /** Root's entries before the ingest (when root existed). */
    private final Set<Path> before;

    private IngestTarget(Path root, boolean stagingInside, Path created, Set<Path> before) {
        this.root = root;
        this.staging = stagingInside ? root.resolve(STAGING) : null;
        this.created = created;
        this.before = before;
    }

    /**
     * Checks {@code root} as an ingest target and records what exists, for {@link #removeCreated}.
     *
     * @param stagingInside whether the ingest stages its shards in the target's {@value #STAGING}
     * @throws UserException if root is a file, or a non-empty directory that is neither a dataset nor
     *     an interrupted ingest's
     */
    static IngestTarget check(Path root, boolean stagingInside) throws IOException {
        Path abs = root.toAbsolutePath().normalize();
        if (Files.exists(abs) && !Files.isDirectory(abs)) {
            throw new UserException(abs + " is a file, not a directory; --to takes a directory for the dataset");
        }
        if (!Files.exists(abs)) {
            Path outermost = abs;
            for (Path p = abs.getParent(); p != null && !Files.exists(p, LinkOption.NOFOLLOW_LINKS); p = p.getParent()) {
                outermost = p;
            }
            return new IngestTarget(abs, stagingInside, outermost, Set.of());
        }
        Set<Path> entries = new HashSet<>();
        List<String> foreign = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(abs)) {
            for (Path p : ds) {
                entries.add(p);
                if (!ownName(p.getFileName().toString())) {
                    foreign.add(p.getFileName().toString());
                }
            }
        }
        boolean dataset = Files.exists(abs.resolve(Manifest.KEY)) || Files.exists(abs.resolve(JOURNAL));
        if (!dataset && !foreign.isEmpty()) {
            throw new UserException(abs + " is a non-empty directory that is not a Sluice dataset (no " + Manifest.KEY
                    + "; it holds " + preview(foreign) + "); choose an empty or new directory for --to");
        }
        return new IngestTarget(abs, stagingInside, null, entries);
    }

    /**
     * Names that do not make a directory someone else's: what an ingest killed before its journal
     * was written can leave (staging and temporary files), and the {@code lost+found} that a freshly
     * made ext2/3/4 file system has at its root, which a new dataset disk is otherwise empty but for.
     */
    private static boolean ownName(String name) {
        return name.equals(STAGING) || (name.startsWith(".") && name.contains(TMP_MARK)) || name.equals("lost+found");
    }

    private static String preview(List<String> names) {
        List<String> sorted = names.stream().sorted().toList();
        int n = Math.min(3, sorted.size());
        return String.join(", ", sorted.subList(0, n)) + (sorted.size() > n ? " and " + (sorted.size() - n) + " more" : "");
    }

    /**
     * When the ingest ends, however it ends: removes the target's own {@value #STAGING} with whatever
     * it holds, if the ingest staged there. The writer removes only the files it staged itself; this
     * directory is Sluice's by name, and an ingest killed earlier may have left shards half-written
     * in it. A symbolic link of that name is left alone.
     */
    void removeStaging() throws IOException {
        if (staging != null && Files.isDirectory(staging, LinkOption.NOFOLLOW_LINKS)) {
            deleteTree(staging);
        }
    }

    /** Deletes {@code p} and, if it is a directory, everything in it; nothing if it does not exist. */
    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(q);
            }
        }
    }

    /**
     * After a failed ingest: removes the directories it created that hold no files. Never removes a
     * file, nor a directory that existed before.
     *
     * @return the directories removed, outermost last
     */
    List<Path> removeCreated() throws IOException {
        List<Path> removed = new ArrayList<>();
        if (created != null) {
            removeIfNoFiles(created, removed);
            return removed;
        }
        if (!Files.isDirectory(root)) {
            return removed;
        }
        List<Path> added = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
            for (Path p : ds) {
                if (!before.contains(p)) {
                    added.add(p);
                }
            }
        }
        for (Path p : added) {
            removeIfNoFiles(p, removed);
        }
        return removed;
    }

    /** Deletes {@code dir} and its subdirectories if the tree holds nothing but directories. */
    private static void removeIfNoFiles(Path dir, List<Path> removed) throws IOException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        List<Path> dirs;
        try (Stream<Path> all = Files.walk(dir)) {
            List<Path> list = all.toList();
            if (list.stream().anyMatch(p -> !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))) {
                return;
            }
            dirs = new ArrayList<>(list);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        dirs.sort(Comparator.reverseOrder());
        for (Path d : dirs) {
            Files.delete(d);
            removed.add(d);
        }
    }
}
