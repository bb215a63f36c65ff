package dev.sluice.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sluice.data.image.OpenCvDecoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Decoded and augmented (random-resized-crop and flip) images through the trainer: a second run with
 * the same seed, and a run killed after a mid-epoch checkpoint and resumed, have the first run's loss
 * at every step, so every step saw the same augmented batch.
 */
class ImageResumeTest {

    @TempDir
    Path tmp;

    @Test
    void sameSeedAndAResumedRunSeeTheSameAugmentedBatches() throws Exception {
        assumeTrue(Files.isDirectory(JpegFolders.FASHION), "install Debian's dataset-fashion-mnist");
        Path folder = tmp.resolve("folder");
        JpegFolders.write(folder, "train", "train", 600, 21);
        JpegFolders.write(folder, "test", "t10k", 20, 22);
        Path data = JpegFolders.ingest(folder, tmp);
        // 600 images, batch 30: 20 steps per epoch, 2 epochs; the checkpoint at step 30 is mid epoch 2
        List<String> run = List.of("--data", data.toString(), "--model", "cnn", "--image-size", "24", "--augment",
                "rrc,flip", "--epochs", "2", "--batch-size", "30", "--log-every", "1", "--eval-split", "none",
                "--devices", "cpu", "--progress", "never", "--checkpoint-every", "30");

        Path first = tmp.resolve("first");
        CliRunner.Result r = CliRunner.run(with(run, "--run-dir", first.toString()));
        assertEquals(0, r.code(), r.all());
        Map<Long, Double> reference = ResumeTest.losses(first);
        assertEquals(40, reference.size());

        Path second = tmp.resolve("second");
        CliRunner.Result r2 = CliRunner.run(with(run, "--run-dir", second.toString()));
        assertEquals(0, r2.code(), r2.all());
        assertEquals(reference, ResumeTest.losses(second), "a second run with the same seed");

        Path killed = tmp.resolve("killed");
        Files.createDirectories(killed);
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(with(run, "--run-dir", killed.toString())));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("killed.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        boolean saw = false;
        while (!saw && p.isAlive() && System.nanoTime() < deadline) {
            if (Files.exists(killed.resolve("metrics.jsonl"))) {
                saw = ResumeTest.events(killed, "checkpoint").stream().anyMatch(o -> o.get("step").getAsLong() == 30);
            }
            if (!saw) {
                p.waitFor(5, TimeUnit.MILLISECONDS);
            }
        }
        p.destroyForcibly(); // SIGKILL: no final checkpoint
        p.waitFor(30, TimeUnit.SECONDS);
        assertTrue(saw, "the run wrote its step-30 checkpoint: " + Files.readString(tmp.resolve("killed.log")));
        CliRunner.Result resumed = CliRunner.run(with(run, "--run-dir", killed.toString(), "--resume"));
        assertEquals(0, resumed.code(), resumed.all());
        assertTrue(resumed.out().contains("step 30"), resumed.out());
        Map<Long, Double> after = ResumeTest.losses(killed);
        for (long s = 1; s <= 40; s++) {
            assertEquals(reference.get(s), after.get(s), "loss at step " + s);
        }
        if (OpenCvDecoder.available()) {
            // the runs decoded with OpenCV (auto); ImageIO's pixels differ in places, so a resume with it
            // could not repeat the run and is refused
            CliRunner.Result other = CliRunner.run(with(run, "--run-dir", killed.toString(), "--resume", "--decoder",
                    "imageio"));
            assertEquals(1, other.code(), other.all());
            assertTrue(other.err().contains("decoder: checkpoint has opencv, this run has imageio"), other.err());
        }
    }

    private static String[] with(List<String> base, String... extra) {
        List<String> a = new ArrayList<>(base);
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }
}
