package dev.sluice.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI end to end on a small learnable dataset: ingest, inspect, verify, train, bench. */
class CliTest {

    @TempDir
    static Path tmp;

    static Path data;

    @BeforeAll
    static void ingest() throws Exception {
        IdxFiles.write(tmp.resolve("tr-img.gz"), tmp.resolve("tr-lab.gz"), 3000, 1);
        IdxFiles.write(tmp.resolve("te-img.gz"), tmp.resolve("te-lab.gz"), 500, 2);
        data = tmp.resolve("bands");
        CliRunner.Result r = CliRunner.run("ingest", "--from",
                "idx:" + tmp.resolve("tr-img.gz") + "," + tmp.resolve("tr-lab.gz"), "--to", data.toString(),
                "--split", "train", "--shard-size", "100KB", "--compress", "image");
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("3,000 samples"), r.out());
        r = CliRunner.run("ingest", "--from", "idx:" + tmp.resolve("te-img.gz") + "," + tmp.resolve("te-lab.gz"),
                "--to", data.toString(), "--split", "test", "--compress", "image");
        assertEquals(0, r.code(), r.all());
    }

    @Test
    void trainsToHighAccuracyAndWritesMetrics() throws Exception {
        Path run = tmp.resolve("run");
        CliRunner.Result r = CliRunner.run("--data", data.toString(), "--epochs", "2", "--batch-size", "50",
                "--lr", "0.003", "--run-dir", run.toString(), "--json", "--progress", "never");
        assertEquals(0, r.code(), r.all());
        // with --json the lines for people go to stderr
        assertTrue(r.err().contains("Run directory: " + run.toAbsolutePath()), r.err());
        assertTrue(r.err().contains("epoch 2/2"), r.err());
        String summary = r.out().lines().filter(l -> l.startsWith("{\"event\":\"summary\"")).findFirst().orElseThrow();
        JsonObject s = JsonParser.parseString(summary).getAsJsonObject();
        assertTrue(s.get("test_accuracy").getAsDouble() >= 0.95, summary);
        assertEquals(500, s.get("eval_samples").getAsLong());
        List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
        assertEquals(2, lines.stream().filter(l -> l.contains("\"event\":\"epoch\"")).count());
        assertTrue(lines.stream().anyMatch(l -> l.contains("\"event\":\"step\"")));
    }

    @Test
    void inspectAndVerify() {
        CliRunner.Result r = CliRunner.run("inspect", data.toString(), "--shards");
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("train") && r.out().contains("3,000 samples") && r.out().contains("zstd"),
                r.out());
        r = CliRunner.run("verify", data.toString());
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("are good"), r.out());
    }

    @Test
    void verifyNamesEveryBadShard() throws Exception {
        Path copy = tmp.resolve("damaged");
        CliRunner.Result r = CliRunner.run("ingest", "--from",
                "idx:" + tmp.resolve("tr-img.gz") + "," + tmp.resolve("tr-lab.gz"), "--to", copy.toString(),
                "--shard-size", "100KB");
        assertEquals(0, r.code(), r.all());
        List<Path> shards;
        try (var s = Files.walk(copy.resolve("train"))) {
            shards = s.filter(p -> p.toString().endsWith(".shard")).sorted().toList();
        }
        assertTrue(shards.size() >= 3);
        for (Path bad : List.of(shards.get(0), shards.get(2))) {
            byte[] b = Files.readAllBytes(bad);
            b[b.length / 2] ^= 0x10;
            Files.write(bad, b);
        }
        r = CliRunner.run("verify", "-q", copy.toString());
        assertEquals(1, r.code(), r.all());
        assertTrue(r.out().contains("2 of " + shards.size() + " shards"), r.out());
        for (Path bad : List.of(shards.get(0), shards.get(2))) {
            assertTrue(r.out().contains("BAD") && r.out().contains(bad.getFileName().toString()), r.out());
        }
        assertFalse(r.out().contains(shards.get(1).getFileName().toString() + ":"), r.out());
    }

    @Test
    void benchLoaderPrintsARatio() throws Exception {
        CliRunner.Result r = CliRunner.run("bench", "loader", "--data", data.toString(), "--rounds", "1", "--json");
        assertEquals(0, r.code(), r.all());
        String summary = r.out().lines().filter(l -> l.contains("\"mode\":\"summary\"")).findFirst().orElseThrow();
        JsonObject s = JsonParser.parseString(summary).getAsJsonObject();
        // the ratio is the loader's MB/s over the raw read's, both printed beside it
        assertEquals(s.get("loader_mb_per_s").getAsDouble() / s.get("raw_mb_per_s").getAsDouble(),
                s.get("ratio").getAsDouble(), 1e-9 * s.get("ratio").getAsDouble(), summary);
        // both sides read exactly the train split's shard files
        long shardBytes;
        try (var files = Files.list(data.resolve("train"))) {
            shardBytes = files.filter(p -> p.toString().endsWith(".shard")).mapToLong(p -> p.toFile().length()).sum();
        }
        for (String mode : List.of("raw", "loader")) {
            JsonObject m = JsonParser.parseString(r.out().lines()
                    .filter(l -> l.contains("\"mode\":\"" + mode + "\"")).findFirst().orElseThrow()).getAsJsonObject();
            assertEquals(shardBytes, m.get("bytes").getAsLong(), mode + ": " + m);
            assertEquals(shardBytes / 1e6 / m.get("seconds").getAsDouble(), m.get("mb_per_s").getAsDouble(),
                    1e-6 * m.get("mb_per_s").getAsDouble(), mode + ": " + m);
            if (mode.equals("loader")) {
                // batches of the default 256, the last partial one dropped: 11 x 256 = 2,816 of the 3,000
                assertEquals(2816, Math.round(m.get("samples_per_s").getAsDouble() * m.get("seconds").getAsDouble()),
                        m.toString());
            }
        }

        // no round, no median: a usage error, not an index out of bounds after both warm-up passes
        r = CliRunner.run("bench", "loader", "--data", data.toString(), "--rounds", "0");
        assertEquals(Main.USAGE, r.code(), r.all());
        assertTrue(r.err().contains("--rounds"), r.err());
    }

    @Test
    void helpExplainsEveryCommand() {
        CliRunner.Result r = CliRunner.run("--help");
        assertEquals(0, r.code(), r.all());
        // every command has its own line with a description in the "Commands:" list (the usage line
        // holds "train.jar", so merely finding the word would prove nothing)
        String commands = r.out().substring(r.out().indexOf("Commands:"));
        for (String c : List.of("train", "ingest", "inspect", "verify", "bench")) {
            assertTrue(commands.lines().anyMatch(l -> l.matches("  " + c + " +[A-Z].{20,}")), c + " in\n" + r.out());
        }
        for (String c : List.of("train", "ingest", "inspect", "verify", "bench")) {
            r = CliRunner.run(c, "--help");
            assertEquals(0, r.code(), c + ": " + r.all());
            assertTrue(r.out().contains("Usage: train.jar " + c), r.out());
        }
        r = CliRunner.run("train", "--help");
        for (String o : List.of("--data", "--epochs", "--batch-size", "--lr", "--seed", "--run-dir")) {
            assertTrue(r.out().contains(o), o);
        }
        // a bare --resume continues the newest earlier run of the model (TrainCommand.latestRun)
        assertTrue(r.out().replaceAll("\\s+", " ").contains("with --resume and no --checkpoint-dir, the newest"
                + " runs/*-<model> that holds checkpoints"), r.out());
    }

    @Test
    void clearErrors() throws Exception {
        CliRunner.Result r = CliRunner.run("--data", tmp.resolve("nothing-here").toString(), "--run-dir",
                tmp.resolve("r0").toString());
        assertEquals(Main.USAGE, r.code(), r.all());
        assertTrue(r.err().contains("manifest.json") && r.err().contains("ingest"), r.err());

        r = CliRunner.run("--data", data.toString(), "--model", "transformer-xl", "--run-dir",
                tmp.resolve("r1").toString());
        assertTrue(r.code() != 0);
        assertTrue(r.err().contains("transformer-xl") && r.err().contains("mlp"), r.err());

        r = CliRunner.run("ingest", "--from", "idx:" + tmp.resolve("tr-lab.gz") + "," + tmp.resolve("tr-img.gz"),
                "--to", tmp.resolve("x").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("wrong magic number")
                && (r.err().contains("tr-lab.gz") || r.err().contains("tr-img.gz")), r.err());
        assertFalse(Files.exists(tmp.resolve("x").resolve("manifest.json")));

        r = CliRunner.run("--data", data.toString(), "--optimizer", "lion", "--run-dir", tmp.resolve("r3").toString());
        assertEquals(2, r.code(), r.all());
        assertTrue(r.err().contains("unknown optimizer 'lion'") && r.err().contains("adamw or sgd"), r.err());

        r = CliRunner.run("--data", data.toString(), "--model", "gpt-small", "--run-dir", tmp.resolve("r4").toString());
        assertTrue(r.code() != 0);
        assertEquals(Main.USAGE, r.code(), r.all());
        assertTrue(r.err().contains("gpt-small") && r.err().contains("--model gpt"), r.err());

        r = CliRunner.run("--epochs", "0", "--data", data.toString());
        assertEquals(2, r.code(), r.all());

        r = CliRunner.run("--data", data.toString(), "--batch-size", "100000", "--run-dir", tmp.resolve("r2").toString());
        assertEquals(Main.USAGE, r.code(), r.all());
        assertFalse(Files.exists(tmp.resolve("r2")), "refused before the run directory is made");
        assertTrue(r.err().contains("--batch-size"), r.err());
    }

    @Test
    void withoutTheDefaultDatasetItSaysHowToInstallItAndExitsNonZero() throws Exception {
        String home = System.getProperty("sluice.home");
        String src = System.getProperty("sluice.fashionMnistDir");
        System.setProperty("sluice.home", tmp.resolve("empty-home").toString());
        System.setProperty("sluice.fashionMnistDir", tmp.resolve("no-such-dir").toString());
        try {
            CliRunner.Result r = CliRunner.run("--run-dir", tmp.resolve("r-missing").toString());
            assertEquals(Main.USAGE, r.code(), r.all());
            assertTrue(r.err().contains("apt-get install dataset-fashion-mnist") && r.err().contains("--data"), r.err());
            assertFalse(Files.exists(tmp.resolve("empty-home").resolve("datasets/fashion-mnist/manifest.json")));
        } finally {
            restore("sluice.home", home);
            restore("sluice.fashionMnistDir", src);
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
