package dev.sluice.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train --model gpt} on byte-level tokens of the licence texts on the machine: the loss falls,
 * and a run killed after a checkpoint and resumed reproduces the uninterrupted run's loss at every
 * step exactly. Every run is a process of its own, as a real resume is, and runs with a small young
 * generation, so that a garbage collection falls inside most steps: memory a step still needs but
 * Java may free (the attention's scale once lay in a direct buffer autograd kept; see
 * {@code AttentionGradientTest}) then shows up as a loss that differs from the reference run.
 */
class GptTrainingTest {

    static final Path TEXTS = Path.of("/usr/share/common-licenses");
    static final int T = 64;
    static final int WINDOWS = 1000;

    @TempDir
    static Path tmp;

    static Path data;

    /** 1000 windows, batch 25: 40 steps per epoch, 2 epochs = 80 steps. */
    static final String[] RUN = {"--model", "gpt", "--epochs", "2", "--batch-size", "25", "--lr", "0.003",
        "--log-every", "1", "--progress", "never", "--devices", "cpu", "--shuffle-window", "2"};

    /**
     * The dataset the {@code tokens:} importer writes from a byte stream: field {@code tokens}, uint16
     * {@code [T + 1]}, window {@code i} holding bytes {@code i*T .. i*T + T} (overlapping by one).
     */
    @BeforeAll
    static void writeTokens() throws Exception {
        assumeTrue(Files.isDirectory(TEXTS), "needs the licence texts of Debian's base-files");
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        try (Stream<Path> files = Files.list(TEXTS)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                text.write(Files.readAllBytes(f));
            }
        }
        byte[] bytes = text.toByteArray();
        assumeTrue(bytes.length > WINDOWS * T + 1, "enough text");
        data = tmp.resolve("tokens");
        TokenWindows.write(data, tmp.resolve("staging"), "licences", T, 256, WINDOWS, (i, j) -> bytes[i * T + j] & 0xFF);
    }

    static String[] args(Path runDir, String... extra) {
        List<String> a = new ArrayList<>(List.of("--data", data.toString(), "--run-dir", runDir.toString()));
        a.addAll(List.of(RUN));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    @Test
    void lossFallsAndAKilledRunResumesToTheSameLossAtEveryStep() throws Exception {
        Path whole = tmp.resolve("whole");
        CliRunner.Result r = runProcess(args(whole));
        assertEquals(0, r.code(), r.all());
        Map<Long, Double> reference = ResumeTest.losses(whole);
        assertEquals(80, reference.size(), r.all());
        // uniform guessing over 256 bytes is ln 256 = 5.55; English text is far more predictable
        double first = reference.get(1L);
        double last = (reference.get(76L) + reference.get(77L) + reference.get(78L) + reference.get(79L)
                + reference.get(80L)) / 5;
        System.out.printf("gpt: loss at step 1 %.3f, mean of steps 76-80 %.3f%n", first, last);
        assertTrue(first > 4.5, "an untrained model is near ln 256: " + first);
        assertTrue(last < first - 1.5, "loss fell from " + first + " to " + last);

        Path killed = tmp.resolve("killed");
        Files.createDirectories(killed);
        ProcessBuilder pb = process(args(killed, "--checkpoint-every", "30"));
        Process p = pb.redirectErrorStream(true).redirectOutput(tmp.resolve("killed.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        boolean sawCheckpoint = false;
        while (!sawCheckpoint && p.isAlive() && System.nanoTime() < deadline) {
            if (Files.exists(killed.resolve("metrics.jsonl"))) {
                sawCheckpoint = ResumeTest.events(killed, "checkpoint").stream()
                        .anyMatch(o -> o.get("step").getAsLong() == 30);
            }
            if (!sawCheckpoint) {
                p.waitFor(5, TimeUnit.MILLISECONDS);
            }
        }
        p.destroyForcibly(); // SIGKILL: no shutdown hook, no final checkpoint
        p.waitFor(30, TimeUnit.SECONDS);
        assertTrue(sawCheckpoint, "the run wrote its step-30 checkpoint: " + Files.readString(tmp.resolve("killed.log")));

        CliRunner.Result resumed = runProcess(args(killed, "--resume", "--checkpoint-every", "30"));
        assertEquals(0, resumed.code(), resumed.all());
        assertTrue(resumed.out().contains("step 30"), resumed.out());
        Map<Long, Double> after = ResumeTest.losses(killed);
        assertEquals(reference.keySet(), after.keySet());
        double worst = 0;
        for (long s = 1; s <= 80; s++) {
            double rel = Math.abs(reference.get(s) - after.get(s)) / reference.get(s);
            worst = Math.max(worst, rel);
            assertEquals(reference.get(s), after.get(s), 0.0, "loss at step " + s);
        }
        System.out.printf("gpt: largest relative loss difference after resume %.2e%n", worst);
    }

    /**
     * The CLI as a child JVM. A 4 MiB young generation makes collections frequent (before the fix in
     * the attention, each of three such runs measured left the reference run's loss by step 27).
     */
    static ProcessBuilder process(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-Xmn4m", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd);
    }

    static CliRunner.Result runProcess(String... args) throws Exception {
        Path log = Files.createTempFile(tmp, "run", ".log");
        Process p = process(args).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(600, TimeUnit.SECONDS), "the run finishes within 10 minutes");
        return new CliRunner.Result(p.exitValue(), Files.readString(log), "");
    }
}
