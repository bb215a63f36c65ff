package dev.sluice.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code train} tells its user, found in a user audit: which models fit which data, which split
 * is evaluated, refusals before anything is written (exit 2, no run directory), stdout of
 * {@code --json}, and samples/s of a token model.
 */
class TrainUxTest {

    @TempDir
    static Path tmp;

    /** An image dataset with splits train (200) and val (60), as an image folder's train/ and val/ give. */
    static Path trainVal;
    /** A token dataset of one split (train): 64 windows of T = 8 ids below 32. */
    static Path tokens;

    static final int T = 8;

    @BeforeAll
    static void datasets() throws Exception {
        trainVal = tmp.resolve("tv");
        IdxFiles.ingest(tmp, trainVal, "train", 200, 5);
        IdxFiles.ingest(tmp, trainVal, "val", 60, 6);
        tokens = tmp.resolve("tokens");
        TokenWindows.write(tokens, tmp.resolve("staging"), "counting", T, 32, 64, (i, j) -> (i + j) % 32);
    }

    static CliRunner.Result train(Path data, Path runDir, String... extra) {
        List<String> a = new ArrayList<>(List.of("--data", data.toString(), "--run-dir", runDir.toString(),
                "--progress", "never", "--devices", "cpu"));
        a.addAll(List.of(extra));
        return CliRunner.run(a.toArray(String[]::new));
    }

    static String lastLine(String s) {
        return s.strip().lines().reduce((a, b) -> b).orElseThrow();
    }

    // A: which model fits which data

    @Test
    void helpListsEveryModelOfTheRegistryOnItsOwnLine() {
        CliRunner.Result r = CliRunner.run("train", "--help");
        assertEquals(0, r.code(), r.all());
        for (String m : List.of("mlp", "cnn", "resnet18", "gpt-small", "gpt")) {
            assertTrue(r.out().lines().anyMatch(l -> l.strip().startsWith(m + ": ")), m + " in:\n" + r.out());
        }
    }

    @Test
    void gptSmallIsRefusedOnTokensBeforeAnythingIsWrittenPointingAtGpt() {
        Path run = tmp.resolve("gpt-small");
        CliRunner.Result r = train(tokens, run, "--model", "gpt-small", "--max-steps", "1");
        assertEquals(Main.USAGE, r.code(), r.all());
        assertTrue(r.err().contains("--model gpt") && !r.err().contains("expand"), r.err());
        assertFalse(Files.exists(run), r.all());
    }

    @Test
    void anImageModelOnTokensNamesOnlyTheModelThatTrainsThere() {
        Path run = tmp.resolve("cnn-tokens");
        CliRunner.Result r = train(tokens, run, "--model", "cnn");
        assertEquals(Main.USAGE, r.code(), r.all());
        assertTrue(r.err().contains("use --model gpt"), r.err());
        assertFalse(r.err().contains("gpt-small"), "gpt-small does not train on tokens: " + r.err());
        assertFalse(Files.exists(run));
    }

    @Test
    void gptOnImagesIsRefusedNamingTheImageModels() {
        Path run = tmp.resolve("gpt-images");
        CliRunner.Result r = train(trainVal, run, "--model", "gpt");
        assertEquals(Main.USAGE, r.code(), r.all());
        assertTrue(r.err().contains("mlp, cnn, resnet18") && r.err().contains("tokens:"), r.err());
        assertFalse(Files.exists(run));
    }

    // B: the evaluation split

    @Test
    void withoutEvalSplitADatasetOfTrainAndValEvaluatesOnValAndSaysSo() {
        Path run = tmp.resolve("auto-val");
        // 200 samples, batch 50: 4 steps, one epoch; evaluation covers all 60 val samples
        CliRunner.Result r = train(trainVal, run, "--epochs", "1", "--batch-size", "50");
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("No split 'test'; evaluating on 'val'"), r.out());
        String last = lastLine(r.out());
        assertTrue(last.startsWith("val accuracy ") && last.contains("/60 samples)"), last);
    }

    @Test
    void anExplicitEvalSplitThatIsMissingIsRefusedBeforeAnythingIsWritten() {
        Path run = tmp.resolve("explicit-test");
        CliRunner.Result r = train(trainVal, run, "--eval-split", "test");
        assertEquals(Main.USAGE, r.code(), r.all());
        assertTrue(r.err().contains("[train, val]") && r.err().contains("--eval-split none"), r.err());
        assertFalse(Files.exists(run), r.all());
    }

    @Test
    void aTokenDatasetWithoutTestOrValTrainsOnly() {
        Path run = tmp.resolve("tokens-only");
        CliRunner.Result r = train(tokens, run, "--model", "gpt", "--max-steps", "1", "--batch-size", "8");
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("No split 'test' or 'val' to evaluate on; training only"), r.out());
    }

    // C: refused before anything is written

    @Test
    void aMissingDatasetIsAUsageErrorAndLeavesNoRunDirectory() {
        Path run = tmp.resolve("no-data");
        CliRunner.Result r = train(tmp.resolve("no-such-dataset"), run);
        assertEquals(Main.USAGE, r.code(), r.all());
        assertTrue(r.err().contains("manifest.json"), r.err());
        assertFalse(Files.exists(run));
    }

    @Test
    void aBatchLargerThanTheSplitIsRefusedBeforeAnythingIsWritten() {
        Path run = tmp.resolve("big-batch");
        CliRunner.Result r = train(trainVal, run, "--batch-size", "256");
        assertEquals(Main.USAGE, r.code(), r.all());
        // 200 samples on one replica: the largest batch that gives a step is 200
        assertTrue(r.err().contains("200 samples") && r.err().contains("at most 200"), r.err());
        assertFalse(Files.exists(run), r.all());
    }

    @Test
    void aCheckpointDirUnderAFileIsRefusedBeforeTraining() throws Exception {
        Path file = Files.writeString(tmp.resolve("a.txt"), "not a directory");
        Path run = tmp.resolve("bad-ckpt");
        CliRunner.Result r = train(trainVal, run, "--checkpoint-dir", file.resolve("ck").toString());
        assertEquals(Main.USAGE, r.code(), r.all());
        assertTrue(r.err().contains("--checkpoint-dir") && r.err().contains("a.txt"), r.err());
        assertFalse(Files.exists(run), r.all());
    }

    @Test
    void aRunDirUnderAFileIsRefusedWithTheReason() throws Exception {
        Path file = Files.writeString(tmp.resolve("b.txt"), "not a directory");
        CliRunner.Result r = train(trainVal, file.resolve("run"));
        assertEquals(Main.USAGE, r.code(), r.all());
        assertTrue(r.err().contains("--run-dir " + file.resolve("run") + ": " + file.toAbsolutePath()
                + " is a file, not a directory"), r.err());
        assertEquals("not a directory", Files.readString(file));
    }

    // D: --json

    @Test
    void withJsonEveryStdoutLineIsJson() {
        Path run = tmp.resolve("json");
        CliRunner.Result r = train(trainVal, run, "--epochs", "1", "--batch-size", "50", "--json");
        assertEquals(0, r.code(), r.all());
        List<String> lines = r.out().strip().lines().toList();
        List<String> events = new ArrayList<>();
        for (String l : lines) {
            events.add(JsonParser.parseString(l).getAsJsonObject().get("event").getAsString());
        }
        assertEquals(List.of("epoch", "summary"), events, r.out());
        assertTrue(r.err().contains("Run directory:") && r.err().contains("val accuracy"), r.err());
    }

    // E: samples/s of a token model counts sequences

    @Test
    void aTokenModelReportsSamplesPerSecondInSequencesAndTokensSeparately() {
        Path run = tmp.resolve("gpt-rate");
        // 64 windows, batch 8: 8 steps of 8 sequences = 64 samples in the epoch
        CliRunner.Result r = train(tokens, run, "--model", "gpt", "--epochs", "1", "--batch-size", "8", "--json");
        assertEquals(0, r.code(), r.all());
        JsonObject epoch = r.out().lines().map(l -> JsonParser.parseString(l).getAsJsonObject())
                .filter(o -> o.get("event").getAsString().equals("epoch")).findFirst().orElseThrow();
        double rate = epoch.get("samples_per_s").getAsDouble();
        double secs = epoch.get("seconds").getAsDouble();
        assertEquals(64, rate * secs, 0.5, epoch.toString());
        assertEquals(rate * T, epoch.get("tokens_per_s").getAsDouble(), 1e-6 * rate * T, epoch.toString());
        assertTrue(r.err().contains("tokens/s"), r.err());
    }

    // F

    @Test
    void aNegativeBatchSizeNamesOnlyThatOption() {
        CliRunner.Result r = train(trainVal, tmp.resolve("neg"), "--batch-size", "-5");
        assertEquals(Main.USAGE, r.code(), r.all());
        assertTrue(r.err().contains("--batch-size must be positive, not -5"), r.err());
        assertFalse(r.err().contains("--epochs") || r.err().contains("--max-steps"), r.err());
    }

    @Test
    void datasetNormalizationWithoutStoredStatisticsWarnsOnceWithTheValuesUsed() {
        Path run = tmp.resolve("norm");
        CliRunner.Result r = train(trainVal, run, "--normalize", "dataset", "--max-steps", "1", "--batch-size", "50",
                "--eval-split", "none");
        assertEquals(0, r.code(), r.all());
        String w = "records no image.mean/image.std; normalizing with mean 0.5 and std 0.5";
        assertEquals(1, r.out().split(java.util.regex.Pattern.quote(w), -1).length - 1, r.out());
    }

    @Test
    void resumingAFinishedRunSaysItFinishedInsteadOfNamingAnEpochPastTheEnd() {
        Path run = tmp.resolve("finished");
        assertEquals(0, train(trainVal, run, "--epochs", "1", "--batch-size", "100", "--eval-split", "none").code());
        CliRunner.Result r = train(trainVal, run, "--epochs", "1", "--batch-size", "100", "--eval-split", "none",
                "--resume");
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("nothing left to train: ") && r.out().contains("is at step 2, where this run ends"
                + " (--epochs 1); start a new run to train further"), r.out());
        assertFalse(r.out().contains("epoch 2") || r.out().contains("Resuming from"), r.out());
        assertEquals(1, r.out().split("this run ends", -1).length - 1, "said once: " + r.out());
    }
}
