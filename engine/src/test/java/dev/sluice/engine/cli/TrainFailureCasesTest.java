package dev.sluice.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad options and bad runs found by trying train as a new user would: each fails early, clearly, non-zero. */
class TrainFailureCasesTest {

    @TempDir
    static Path tmp;

    static Path data;

    @BeforeAll
    static void ingest() throws Exception {
        data = tmp.resolve("ds");
        IdxFiles.ingest(tmp, data, "train", 1000, 3);
        IdxFiles.ingest(tmp, data, "test", 200, 4);
    }

    static CliRunner.Result train(Path runDir, String... extra) {
        List<String> a = new ArrayList<>(List.of("--data", data.toString(), "--run-dir", runDir.toString(),
                "--progress", "never", "--devices", "cpu"));
        a.addAll(List.of(extra));
        return CliRunner.run(a.toArray(String[]::new));
    }

    @Test
    void anUnknownModelFailsBeforeAnythingIsWritten() {
        Path run = tmp.resolve("nosuch");
        CliRunner.Result r = train(run, "--model", "nosuch");
        assertEquals(Main.USAGE, r.code(), r.all());
        assertTrue(r.err().contains("nosuch") && r.err().contains("mlp"), r.err());
        assertFalse(Files.exists(run), "no run directory for a run that never started");
    }

    @Test
    void aFailedStartLeavesNoEmptyRunDirectory() {
        Path run = tmp.resolve("no-data");
        CliRunner.Result r = CliRunner.run("--data", tmp.resolve("no-such-dataset").toString(), "--run-dir",
                run.toString(), "--progress", "never", "--devices", "cpu");
        assertTrue(r.code() != 0, r.all());
        assertFalse(Files.exists(run), "the run directory it created is removed: " + r.all());
    }

    @Test
    void aLearningRateThatIsNotAFiniteNumberIsAUsageError() {
        for (String lr : List.of("NaN", "Infinity", "-1")) {
            Path run = tmp.resolve("lr-" + lr);
            CliRunner.Result r = train(run, "--lr", lr);
            assertEquals(Main.USAGE, r.code(), lr + ": " + r.all());
            assertTrue(r.err().contains("--lr"), r.err());
            assertFalse(Files.exists(run));
        }
    }

    @Test
    void moreCpuReplicasThanCoresAreRefusedUnlessForced() {
        Path run = tmp.resolve("cpu999");
        CliRunner.Result r = train(run, "--devices", "cpu:999");
        assertEquals(Main.USAGE, r.code(), r.all());
        assertTrue(r.err().contains("999") && r.err().contains("--force")
                && r.err().contains(Runtime.getRuntime().availableProcessors() + " core"), r.err());
        assertFalse(Files.exists(run));
    }

    @Test
    void aDivergingLossStopsTheRunNonZeroNamingTheLastGoodCheckpoint() {
        Path run = tmp.resolve("lr1e6");
        CliRunner.Result r = train(run, "--lr", "1e6", "--optimizer", "adamw", "--epochs", "2", "--batch-size", "50",
                "--checkpoint-every", "1", "--schedule", "constant");
        assertEquals(1, r.code(), r.all());
        assertTrue(r.err().contains("training diverged") && r.err().contains("last good checkpoint"), r.err());
        assertTrue(r.err().contains("checkpoints"), "names a checkpoint file: " + r.err());
    }

    @Test
    void aStepLimitInsideTheFirstEpochDoesNotSayOneEpoch() {
        Path run = tmp.resolve("max-steps");
        // 1000 samples, batch 100: 10 steps an epoch; 4 steps end inside epoch 1
        CliRunner.Result r = train(run, "--max-steps", "4", "--batch-size", "100");
        assertEquals(0, r.code(), r.all());
        String last = r.out().strip().lines().reduce((a, b) -> b).orElseThrow();
        assertTrue(last.contains("after 4 steps (0 whole epoch(s) and part of epoch 1)"), last);
    }
}
