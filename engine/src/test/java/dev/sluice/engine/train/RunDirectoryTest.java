package dev.sluice.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two runs started in the same second without --run-dir never share a directory. */
class RunDirectoryTest {

    @TempDir
    Path tmp;

    static final LocalDateTime SAME_SECOND = LocalDateTime.of(2026, 12, 2, 17, 9, 1);

    @Test
    void twoRunsInTheSameSecondGetTwoDirectories() throws Exception {
        Path runs = tmp.resolve("runs");
        RunDirectory a = RunDirectory.claim(null, runs, "mlp", SAME_SECOND);
        RunDirectory b = RunDirectory.claim(null, runs, "mlp", SAME_SECOND);
        assertEquals(runs.resolve("20261202-170901-mlp"), a.path());
        assertEquals(runs.resolve("20261202-170901-mlp-2"), b.path());
        assertTrue(Files.isDirectory(a.path()) && Files.isDirectory(b.path()));
    }

    @Test
    void concurrentClaimsEachGetTheirOwn() throws Exception {
        Path runs = tmp.resolve("runs");
        int n = 8;
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<Path>> got = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Callable<Path> claim = () -> {
                    go.await();
                    return RunDirectory.claim(null, runs, "cnn", SAME_SECOND).path();
                };
                got.add(pool.submit(claim));
            }
            go.countDown();
            List<Path> paths = new ArrayList<>();
            for (Future<Path> f : got) {
                paths.add(f.get());
            }
            assertEquals(n, paths.stream().distinct().count(), paths.toString());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aFailedStartRemovesOnlyADirectoryItCreatedAndLeftEmpty() throws Exception {
        RunDirectory fresh = RunDirectory.claim(null, tmp.resolve("runs"), "mlp", SAME_SECOND);
        Files.createDirectories(fresh.path().resolve("checkpoints"));
        fresh.removeIfNothingWritten();
        assertFalse(Files.exists(fresh.path()), "only empty folders in it: removed");

        RunDirectory written = RunDirectory.claim(null, tmp.resolve("runs"), "mlp", SAME_SECOND);
        Files.writeString(written.path().resolve("metrics.jsonl"), "{}\n");
        written.removeIfNothingWritten();
        assertTrue(Files.exists(written.path().resolve("metrics.jsonl")), "a file was written: kept");

        Path existing = Files.createDirectories(tmp.resolve("mine"));
        RunDirectory given = RunDirectory.claim(existing, tmp.resolve("runs"), "mlp", SAME_SECOND);
        assertFalse(given.created());
        given.removeIfNothingWritten();
        assertTrue(Files.isDirectory(existing), "a directory the user made is never removed");
        assertNotEquals(existing, fresh.path());
    }
}
