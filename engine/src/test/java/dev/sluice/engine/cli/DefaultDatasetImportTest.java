package dev.sluice.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.data.format.Dataset;
import dev.sluice.data.store.FileStore;
import dev.sluice.engine.datasets.DefaultDataset;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two first runs at once on an empty cache: one imports the default dataset, the other waits and uses it. */
class DefaultDatasetImportTest {

    @TempDir
    Path tmp;

    @Test
    void concurrentFirstRunsImportOnceAndBothUseTheResult() throws Exception {
        Path src = Files.createDirectories(tmp.resolve("debian"));
        IdxFiles.write(src.resolve("train-images-idx3-ubyte.gz"), src.resolve("train-labels-idx1-ubyte.gz"), 600, 1);
        IdxFiles.write(src.resolve("t10k-images-idx3-ubyte.gz"), src.resolve("t10k-labels-idx1-ubyte.gz"), 100, 2);
        String home = System.getProperty("sluice.home");
        String from = System.getProperty("sluice.fashionMnistDir");
        System.setProperty("sluice.home", tmp.resolve("home").toString());
        System.setProperty("sluice.fashionMnistDir", src.toString());
        int n = 3;
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<ByteArrayOutputStream> outs = new ArrayList<>();
            List<Future<Path>> runs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                outs.add(out);
                runs.add(pool.submit(() -> {
                    go.await();
                    return DefaultDataset.ensure(new PrintStream(out, true, StandardCharsets.UTF_8));
                }));
            }
            go.countDown();
            for (Future<Path> f : runs) {
                assertEquals(DefaultDataset.location(), f.get(), "every run gets the dataset, none fails");
            }
            long imports = outs.stream().filter(o -> o.toString(StandardCharsets.UTF_8).contains("Importing")).count();
            assertEquals(1, imports, "imported once: " + outs);
            try (FileStore store = new FileStore(DefaultDataset.location())) {
                Dataset ds = Dataset.open(store);
                assertEquals(600, ds.manifest().split("train").samples());
                assertEquals(100, ds.manifest().split("test").samples());
            }
            assertTrue(Files.exists(DefaultDataset.location().resolveSibling("fashion-mnist.lock")));
        } finally {
            pool.shutdownNow();
            restore("sluice.home", home);
            restore("sluice.fashionMnistDir", from);
        }
    }

    /**
     * The same across processes: this test holds the import lock while two child JVMs start, so both
     * find it taken; once it is released, one child imports and the other waits for it, then uses it.
     */
    @Test
    void concurrentFirstRunsInTwoProcessesImportOnce() throws Exception {
        Path src = Files.createDirectories(tmp.resolve("debian"));
        IdxFiles.write(src.resolve("train-images-idx3-ubyte.gz"), src.resolve("train-labels-idx1-ubyte.gz"), 600, 1);
        IdxFiles.write(src.resolve("t10k-images-idx3-ubyte.gz"), src.resolve("t10k-labels-idx1-ubyte.gz"), 100, 2);
        Path home = tmp.resolve("home");
        Path dataset = home.resolve("datasets").resolve("fashion-mnist");
        Files.createDirectories(dataset.getParent());
        Path lockFile = dataset.resolveSibling("fashion-mnist.lock");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<Process> children = new ArrayList<>();
        List<Future<List<String>>> outputs = new ArrayList<>();
        ExecutorService readers = Executors.newFixedThreadPool(2);
        try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            FileLock held = ch.lock();
            CountDownLatch bothWaiting = new CountDownLatch(2);
            for (int i = 0; i < 2; i++) {
                Process p = new ProcessBuilder(java, "-Xmx256m", "-Dsluice.home=" + home,
                        "-Dsluice.fashionMnistDir=" + src, "-cp", System.getProperty("java.class.path"),
                        DefaultDatasetProcess.class.getName()).redirectErrorStream(true).start();
                children.add(p);
                outputs.add(readers.submit(() -> {
                    List<String> lines = new ArrayList<>();
                    try (BufferedReader r = p.inputReader(StandardCharsets.UTF_8)) {
                        for (String line = r.readLine(); line != null; line = r.readLine()) {
                            lines.add(line);
                            if (line.startsWith("Waiting for another process")) {
                                bothWaiting.countDown();
                            }
                        }
                    }
                    return lines;
                }));
            }
            assertTrue(bothWaiting.await(120, TimeUnit.SECONDS), "both children wait for the lock this test holds");
            assertFalse(Files.exists(dataset.resolve("manifest.json")), "nobody imported while the lock was held");
            held.release();
            for (int i = 0; i < 2; i++) {
                assertTrue(children.get(i).waitFor(120, TimeUnit.SECONDS), "child " + i + " finishes");
                List<String> lines = outputs.get(i).get();
                assertEquals(0, children.get(i).exitValue(), "child " + i + ": " + lines);
                assertTrue(lines.contains("dataset " + dataset), "child " + i + " uses the dataset: " + lines);
            }
            long imports = 0;
            for (Future<List<String>> f : outputs) {
                imports += f.get().stream().filter(l -> l.startsWith("Importing Fashion-MNIST")).count();
            }
            assertEquals(1, imports, "imported once across the two processes");
            try (FileStore store = new FileStore(dataset)) {
                Dataset ds = Dataset.open(store);
                assertEquals(600, ds.manifest().split("train").samples());
                assertEquals(100, ds.manifest().split("test").samples());
            }
        } finally {
            children.forEach(Process::destroyForcibly);
            readers.shutdownNow();
        }
    }

    private static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }
}
