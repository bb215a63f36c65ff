package dev.sluice.engine.train;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;

/**
 * The directory a run writes to. A default one ({@code runs/<time>-<model>}) is created exclusively:
 * two runs started in the same second get {@code ...-<model>} and {@code ...-<model>-2}, never the
 * same directory. A start that fails before writing anything removes the directory it created.
 *
 * @param path the directory
 * @param created whether this run created it (and may remove it on a failed start)
 */
record RunDirectory(Path path, boolean created) {

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

    /**
     * The run's directory: {@code explicit} if given (created when absent), else a new directory under
     * {@code root} named for the time and the model.
     */
    static RunDirectory claim(Path explicit, Path root, String model, LocalDateTime now) throws IOException {
        if (explicit != null) {
            boolean absent = !Files.exists(explicit);
            Files.createDirectories(explicit);
            return new RunDirectory(explicit, absent);
        }
        Files.createDirectories(root);
        String base = defaultName(model, now);
        for (int i = 1; i < 10_000; i++) {
            Path p = root.resolve(i == 1 ? base : base + "-" + i);
            try {
                // atomic: of two runs asking for the same name, exactly one gets it
                Files.createDirectory(p);
                return new RunDirectory(p, true);
            } catch (FileAlreadyExistsException taken) {
                // another run started in the same second: try the next suffix
            }
        }
        throw new IOException("could not create a new run directory " + root.resolve(base) + "-N; pass --run-dir");
    }

    /** {@code <yyyyMMdd-HHmmss>-<model>}: the first choice of a default run directory's name. */
    static String defaultName(String model, LocalDateTime now) {
        return now.format(STAMP) + "-" + model;
    }

    /** After a failed start: removes the directory if this run created it and nothing but empty folders is in it. */
    void removeIfNothingWritten() {
        if (!created) {
            return;
        }
        try {
            if (holdsNoFile(path)) {
                deleteTree(path);
            }
        } catch (IOException ignored) {
            // best effort: the start failed for another reason, which is what gets reported
        }
    }

    private static boolean holdsNoFile(Path dir) throws IOException {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                if (!Files.isDirectory(p) || !holdsNoFile(p)) {
                    return false;
                }
            }
        }
        return true;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                deleteTree(p);
            }
        }
        Files.delete(dir);
    }
}
