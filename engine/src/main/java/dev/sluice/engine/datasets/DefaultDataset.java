package dev.sluice.engine.datasets;

import dev.sluice.data.format.Manifest;
import dev.sluice.data.ingest.IdxImporter;
import dev.sluice.data.ingest.Ingest;
import dev.sluice.data.store.FileStore;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The dataset {@code train.jar} uses when no {@code --data} is given: Fashion-MNIST from Debian's
 * {@code dataset-fashion-mnist} package, imported once into the cache directory. The import holds a
 * lock ({@code fashion-mnist.lock} beside it): when two runs start at once on an empty cache, one
 * imports and the other waits, then uses the result.
 */
public final class DefaultDataset {

    /** Where Debian's package puts the IDX files. */
    public static final Path SOURCE = Path.of("/usr/share/datasets/fashion-mnist");

    /** The IDX files are not installed; the message says how to get them. A problem the user can fix. */
    public static final class NotInstalledException extends IOException {
        private static final long serialVersionUID = 1L;

        NotInstalledException(String message) {
            super(message);
        }
    }

    /** The IDX directory to import from: {@link #SOURCE}, or the {@code sluice.fashionMnistDir} property. */
    public static Path source() {
        String dir = System.getProperty("sluice.fashionMnistDir");
        return dir != null ? Path.of(dir) : SOURCE;
    }

    private static final Object IMPORT = new Object();

    private DefaultDataset() {}

    /**
     * Sluice's own directory, which holds imported and generated datasets: the {@code sluice.home}
     * property, else {@code $SLUICE_HOME}, else {@code ~/.cache/sluice}.
     */
    public static Path home() {
        String home = System.getProperty("sluice.home", System.getenv("SLUICE_HOME"));
        return home != null && !home.isBlank() ? Path.of(home)
                : Path.of(System.getProperty("user.home"), ".cache", "sluice");
    }

    /** The cache directory: {@code datasets/fashion-mnist} under {@link #home()}. */
    public static Path location() {
        return home().resolve("datasets").resolve("fashion-mnist");
    }

    /**
     * Returns the cached dataset, importing it first if needed.
     *
     * @throws NotInstalledException if Debian's Fashion-MNIST files are not installed, saying how to get them
     */
    public static Path ensure(PrintStream out) throws IOException {
        Path dir = location();
        if (Files.isRegularFile(dir.resolve(Manifest.KEY))) {
            return dir;
        }
        String[][] parts = {
            {"train", "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"},
            {"test", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"},
        };
        for (String[] p : parts) {
            for (int i = 1; i < 3; i++) {
                if (!Files.isRegularFile(source().resolve(p[i]))) {
                    throw new NotInstalledException("no --data given and the default dataset, Fashion-MNIST, is not"
                            + " installed (" + source().resolve(p[i]) + " is missing).\n"
                            + "  Install it:   sudo apt-get install dataset-fashion-mnist\n"
                            + "  or train on your own dataset:   java -jar train.jar --data DIR|s3://bucket/prefix\n"
                            + "  (create one with: java -jar train.jar ingest --from idx:IMAGES.gz,LABELS.gz --to DIR)");
                }
            }
        }
        Files.createDirectories(dir.getParent());
        Path lockFile = dir.resolveSibling(dir.getFileName() + ".lock");
        // one import at a time: a file lock between processes (two first runs at once), and a monitor
        // between the threads of one process (a JVM holds a file lock for all its threads)
        synchronized (IMPORT) {
            try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                FileLock lock = ch.tryLock();
                if (lock == null) {
                    out.println("Waiting for another process that is importing Fashion-MNIST into " + dir
                            + " (lock: " + lockFile + ")");
                    lock = ch.lock();
                }
                try {
                    if (!Files.isRegularFile(dir.resolve(Manifest.KEY))) {
                        importInto(dir, parts, out);
                    }
                } finally {
                    lock.release();
                }
            }
        }
        return dir;
    }

    private static void importInto(Path dir, String[][] parts, PrintStream out) throws IOException {
        Path src = source();
        out.println("Importing Fashion-MNIST from " + src + " into " + dir + " (once)");
        Files.createDirectories(dir);
        long t0 = System.nanoTime();
        Map<String, IdxImporter.Files> splits = new LinkedHashMap<>();
        for (String[] p : parts) {
            splits.put(p[0], new IdxImporter.Files(src.resolve(p[1]), src.resolve(p[2])));
        }
        // published Fashion-MNIST pixel statistics (of pixel/255), used to normalize inputs
        Map<String, String> meta = Map.of(IdxImporter.IMAGE + ".mean", "0.2860", IdxImporter.IMAGE + ".std", "0.3530",
                "source", "Debian dataset-fashion-mnist (" + src + ")");
        try (IdxImporter importer = new IdxImporter(splits, IdxImporter.FASHION_MNIST_CLASSES, Set.of(), meta);
             FileStore store = new FileStore(dir)) {
            Ingest.Options o = Ingest.Options.defaults("fashion-mnist", dir.resolve(".staging"))
                    .withShardBytes(16L << 20);
            Manifest m = new Ingest(importer, store, o).run().manifest();
            out.printf(Locale.ROOT, "Imported %,d train and %,d test samples in %.1f s%n",
                    m.split("train").samples(), m.split("test").samples(), (System.nanoTime() - t0) / 1e9);
        }
    }
}
