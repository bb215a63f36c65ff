package dev.sluice.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.data.format.Dataset;
import dev.sluice.data.store.FileStore;
import dev.sluice.engine.datasets.DefaultDataset;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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

    private static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }
}
