package dev.sluice.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints, exact resume after kill -9, configuration checks, damaged checkpoints, NaN policy. */
class ResumeTest {

    @TempDir
    static Path tmp;

    static Path data;

    /** 3000 samples, batch 75: 40 steps per epoch, 3 epochs = 120 steps = 2N with N = 60 (mid epoch 2). */
    static final String[] RUN = {"--epochs", "3", "--batch-size", "75", "--lr", "0.002", "--log-every", "1",
        "--progress", "never", "--eval-split", "none"};

    @BeforeAll
    static void ingest() throws Exception {
        IdxFiles.write(tmp.resolve("img.gz"), tmp.resolve("lab.gz"), 3000, 7);
        data = tmp.resolve("ds");
        CliRunner.Result r = CliRunner.run("ingest", "--from", "idx:" + tmp.resolve("img.gz") + ","
                + tmp.resolve("lab.gz"), "--to", data.toString(), "--shard-size", "64KB");
        assertEquals(0, r.code(), r.all());
    }

    static String[] args(Path runDir, String... extra) {
        List<String> a = new ArrayList<>(List.of("--data", data.toString(), "--run-dir", runDir.toString()));
        a.addAll(List.of(RUN));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    /** Loss of every step in a run's metrics.jsonl; a later line for the same step replaces an earlier one. */
    static Map<Long, Double> losses(Path runDir) throws Exception {
        Map<Long, Double> out = new TreeMap<>();
        for (String line : Files.readAllLines(runDir.resolve("metrics.jsonl"))) {
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            if (o.get("event").getAsString().equals("step")) {
                out.put(o.get("step").getAsLong(), o.get("loss").getAsDouble());
            }
        }
        return out;
    }

    static List<JsonObject> events(Path runDir, String event) throws Exception {
        List<JsonObject> out = new ArrayList<>();
        for (String line : Files.readAllLines(runDir.resolve("metrics.jsonl"))) {
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            if (o.get("event").getAsString().equals(event)) {
                out.add(o);
            }
        }
        return out;
    }

    static Process spawn(Path runDir, String... extra) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args(runDir, extra)));
        return new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(runDir.resolveSibling(runDir.getFileName() + ".log").toFile()).start();
    }

    @Test
    void killedAndResumedRunHasTheSameLossAtEveryStep() throws Exception {
        Path whole = tmp.resolve("whole");
        CliRunner.Result r = CliRunner.run(args(whole));
        assertEquals(0, r.code(), r.all());
        Map<Long, Double> reference = losses(whole);
        assertEquals(120, reference.size());

        Path killed = tmp.resolve("killed");
        Files.createDirectories(killed);
        Process p = spawn(killed, "--checkpoint-every", "60");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        boolean sawCheckpoint = false;
        while (!sawCheckpoint && p.isAlive() && System.nanoTime() < deadline) {
            if (Files.exists(killed.resolve("metrics.jsonl"))) {
                sawCheckpoint = events(killed, "checkpoint").stream().anyMatch(o -> o.get("step").getAsLong() == 60);
            }
            if (!sawCheckpoint) {
                p.waitFor(5, TimeUnit.MILLISECONDS);
            }
        }
        p.destroyForcibly(); // SIGKILL: no shutdown hook, no final checkpoint
        p.waitFor(30, TimeUnit.SECONDS);
        assertTrue(sawCheckpoint, "the run wrote its step-60 checkpoint: " + Files.readString(
                tmp.resolve("killed.log")));
        long reached = losses(killed).keySet().stream().mapToLong(Long::longValue).max().orElse(0);
        assertTrue(reached < 120, "killed before the end (reached step " + reached + ")");

        CliRunner.Result resumed = CliRunner.run(args(killed, "--resume", "--checkpoint-every", "60"));
        assertEquals(0, resumed.code(), resumed.all());
        assertTrue(resumed.out().contains("Resuming from") && resumed.out().contains("step 60"), resumed.out());
        Map<Long, Double> after = losses(killed);
        assertEquals(reference.keySet(), after.keySet());
        // the interrupted attempt's rows stay in the log; each row says which attempt wrote it
        List<JsonObject> steps = events(killed, "step");
        assertTrue(steps.stream().allMatch(o -> o.has("attempt")), "every row carries its attempt");
        assertEquals(1, steps.get(0).get("attempt").getAsInt());
        assertTrue(steps.stream().filter(o -> o.get("step").getAsLong() <= 60)
                .allMatch(o -> o.get("attempt").getAsInt() == 1));
        assertTrue(steps.stream().filter(o -> o.get("step").getAsLong() > reached)
                .allMatch(o -> o.get("attempt").getAsInt() == 2));
        for (long s = 1; s <= 120; s++) {
            assertEquals(reference.get(s), after.get(s), "loss at step " + s);
        }
        // the resumed run trained epochs 2 (from step 60) and 3, but its summary counts the whole run
        JsonObject summary = events(killed, "summary").get(0);
        assertEquals(120, summary.get("steps").getAsLong(), summary.toString());
        assertEquals(3, summary.get("epochs").getAsLong(), summary.toString());
    }

    @Test
    void resumeRefusesAnotherConfigurationAndSaysWhatDiffers() throws Exception {
        Path run = tmp.resolve("cfg");
        CliRunner.Result r = CliRunner.run(args(run, "--max-steps", "10", "--checkpoint-every", "5"));
        assertEquals(0, r.code(), r.all());
        r = CliRunner.run(args(run, "--max-steps", "10", "--resume", "--lr", "0.01", "--batch-size", "60"));
        assertEquals(1, r.code(), r.all());
        assertTrue(r.err().contains("another configuration") && r.err().contains("lr: checkpoint has 0.002, this run"
                + " has 0.01") && r.err().contains("batch_size: checkpoint has 75, this run has 60"), r.err());
    }

    @Test
    void resumingAFinishedRunSaysSoAndKeepsItsSummary() throws Exception {
        Path run = tmp.resolve("finished");
        CliRunner.Result r = CliRunner.run(args(run, "--max-steps", "10"));
        assertEquals(0, r.code(), r.all());
        r = CliRunner.run(args(run, "--max-steps", "10", "--resume"));
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("nothing left to train: ") && r.out().contains("ckpt-000000000010.ckpt is at"
                + " step 10"), r.out());
        assertFalse(r.out().contains("no evaluation split") || r.out().contains("Resuming from"), r.out());
        assertEquals(1, events(run, "start").size(), "no start logged for a run with nothing left: "
                + events(run, "start"));
        List<JsonObject> summaries = events(run, "summary");
        assertEquals(1, summaries.size(), "the finished run's summary stays the last one: " + summaries);
        assertEquals(10, summaries.get(0).get("steps").getAsLong());
    }

    @Test
    void addingASplitToTheDatasetDoesNotStopAResume() throws Exception {
        Path grows = tmp.resolve("ds-grows");
        CliRunner.Result r = CliRunner.run("ingest", "--from", "idx:" + tmp.resolve("img.gz") + ","
                + tmp.resolve("lab.gz"), "--to", grows.toString(), "--shard-size", "64KB");
        assertEquals(0, r.code(), r.all());
        Path run = tmp.resolve("grows");
        List<String> a = new ArrayList<>(List.of(args(run, "--max-steps", "10")));
        a.set(1, grows.toString()); // --data
        r = CliRunner.run(a.toArray(String[]::new));
        assertEquals(0, r.code(), r.all());
        // a validation split added later: the training data, and so the checkpoint, are unchanged
        r = CliRunner.run("ingest", "--from", "idx:" + tmp.resolve("img.gz") + "," + tmp.resolve("lab.gz"),
                "--to", grows.toString(), "--split", "val");
        assertEquals(0, r.code(), r.all());
        a.add("--resume");
        r = CliRunner.run(a.toArray(String[]::new));
        assertEquals(0, r.code(), r.all());
        // taken as the same run (no "another configuration"): at its end, so nothing is left to train
        assertTrue(r.out().contains("nothing left to train: "), r.all());
    }

    @Test
    void aFreshRunRefusesADirectoryWithAnEarlierRunsCheckpoints() throws Exception {
        Path run = tmp.resolve("reused");
        CliRunner.Result r = CliRunner.run(args(run, "--max-steps", "10", "--checkpoint-every", "5"));
        assertEquals(0, r.code(), r.all());
        r = CliRunner.run(args(run, "--max-steps", "10"));
        assertEquals(1, r.code(), r.all());
        assertTrue(r.err().contains("already holds checkpoints of an earlier run") && r.err().contains("--resume"),
                r.err());
        try (Stream<Path> s = Files.list(run.resolve("checkpoints"))) {
            assertEquals(2, s.filter(f -> f.toString().endsWith(".ckpt")).count(), "the earlier run's stay");
        }
    }

    @Test
    void aDamagedNewestCheckpointIsSkippedForThePreviousOne() throws Exception {
        Path run = tmp.resolve("damaged");
        CliRunner.Result r = CliRunner.run(args(run, "--max-steps", "30", "--checkpoint-every", "10",
                "--keep-checkpoints", "2"));
        assertEquals(0, r.code(), r.all());
        Path ckpts = run.resolve("checkpoints");
        List<Path> files;
        try (Stream<Path> s = Files.list(ckpts)) {
            files = s.filter(f -> f.toString().endsWith(".ckpt")).sorted().toList();
        }
        assertEquals(2, files.size(), "only the newest 2 are kept: " + files);
        Path newest = files.get(1);
        byte[] b = Files.readAllBytes(newest);
        Files.write(newest, java.util.Arrays.copyOf(b, b.length / 2));
        r = CliRunner.run(args(run, "--max-steps", "40", "--resume"));
        // --max-steps differs, so the configuration check must refuse after skipping the damaged one
        assertTrue(r.out().contains("skipping damaged checkpoint") && r.out().contains(newest.getFileName().toString()),
                r.all());
        assertTrue(r.err().contains("max_steps"), r.err());
    }

    @Test
    void nanLossStopsWithTheStepAndTheLastGoodCheckpointOrIsSkipped() throws Exception {
        Path run = tmp.resolve("nan");
        String[] diverge = {"--optimizer", "sgd", "--lr", "1e12", "--checkpoint-every", "1"};
        List<String> a = new ArrayList<>(List.of(args(run, "--max-steps", "40")));
        a.addAll(List.of(diverge));
        CliRunner.Result r = CliRunner.run(a.toArray(String[]::new));
        assertEquals(1, r.code(), r.all());
        // the loss either becomes non-finite or explodes first: both stop the run
        assertTrue(r.err().matches("(?s).*training diverged: (loss is (NaN|Infinity|-Infinity) at step \\d+"
                + "|the loss rose from ).*"), r.err());
        assertTrue(r.err().contains("last good checkpoint: ") && r.err().contains("ckpt-"), r.err());

        // skipping does not hide a run that skips most of its batches: it stops, non-zero
        Path skip = tmp.resolve("nan-skip");
        a = new ArrayList<>(List.of(args(skip, "--max-steps", "40", "--on-nan", "skip", "--json")));
        a.addAll(List.of(diverge));
        r = CliRunner.run(a.toArray(String[]::new));
        assertEquals(1, r.code(), r.all());
        assertTrue(r.err().contains("training diverged"), r.err());
        assertTrue(events(skip, "summary").isEmpty(), "a diverged run writes no summary");
    }

    @Test
    void aRunThatFailsBeforeTrainingExitsWithoutWaitingForTheSignalHook() throws Exception {
        Path run = tmp.resolve("no-engine");
        Files.createDirectories(run);
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.default_engine=NoSuchEngine", "-cp", System.getProperty("java.class.path"),
                Main.class.getName()));
        cmd.addAll(List.of(args(run)));
        Path log = tmp.resolve("no-engine.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        // the SIGTERM hook holds an exiting JVM up to 120 s for the final checkpoint; a run that never
        // got to train must not leave it installed
        boolean exited = p.waitFor(60, TimeUnit.SECONDS);
        p.destroyForcibly();
        assertTrue(exited, "still running 60 s after failing to load the engine: " + Files.readString(log));
        assertTrue(p.exitValue() != 0, Files.readString(log));
        assertTrue(Files.readString(log).contains("NoSuchEngine"), Files.readString(log));
    }

    @Test
    void sigtermCheckpointsAndTheRunContinuesFromThere() throws Exception {
        Path run = tmp.resolve("term");
        Files.createDirectories(run);
        Process p = spawn(run, "--epochs", "50");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (p.isAlive() && System.nanoTime() < deadline
                && !(Files.exists(run.resolve("metrics.jsonl")) && losses(run).size() >= 5)) {
            p.waitFor(10, TimeUnit.MILLISECONDS);
        }
        p.destroy(); // SIGTERM
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "exits after checkpointing");
        String log = Files.readString(tmp.resolve("term.log"));
        // 128 + SIGTERM: a scheduler sees that the run did not finish
        assertEquals(143, p.exitValue(), log);
        assertFalse(log.contains("error:"), "no false error while the JVM shuts down: " + log);
        assertTrue(Files.isRegularFile(run.resolve("loss.png")), "the plots are drawn: " + log);
        try (var files = Files.list(run)) {
            assertEquals(List.of(), files.filter(f -> f.toString().endsWith(".tmp")).toList(), "nothing half-written");
        }
        List<JsonObject> summaries = events(run, "summary");
        assertEquals(1, summaries.size(), log);
        assertTrue(summaries.get(0).get("stopped").getAsBoolean(), summaries.get(0).toString());
        List<JsonObject> cps = events(run, "checkpoint");
        assertFalse(cps.isEmpty(), log);
        long step = cps.get(cps.size() - 1).get("step").getAsLong();
        assertTrue(step >= 5, "checkpoint at the step where the signal arrived: " + step);
        File[] files = run.resolve("checkpoints").toFile().listFiles((d, n) -> n.endsWith(".ckpt"));
        assertTrue(files != null && files.length >= 1);
    }
}
