package dev.sluice.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bench store} end to end on a small generated dataset, and the cache options' checks. */
class BenchStoreCommandTest {

    @TempDir
    Path tmp;

    @Test
    void benchStoreGeneratesServesMeasuresAndReuses() {
        String[] args = {"bench", "store", "--workdir", tmp.toString(), "--size", "4MB", "--image-side", "48",
            "--shard-size", "512KB", "--part-size", "128KB", "--batch-size", "16", "--rounds", "1", "--json"};
        CliRunner.Result r = CliRunner.run(args);
        assertEquals(0, r.code(), r.all());
        List<JsonObject> lines = r.out().lines().filter(l -> l.startsWith("{"))
                .map(l -> JsonParser.parseString(l).getAsJsonObject()).toList();
        assertEquals(r.out().lines().filter(l -> !l.isBlank()).count(), lines.size(), "only JSON lines: " + r.out());
        JsonObject setup = lines.get(0);
        assertEquals("setup", setup.get("mode").getAsString());
        assertTrue(setup.get("endpoint").getAsString().startsWith("http://127.0.0.1:"), setup.toString());
        assertTrue(setup.get("bytes").getAsLong() >= 4L << 20, setup.toString());
        assertEquals(List.of("setup", "raw", "loader", "summary"),
                lines.stream().map(o -> o.get("mode").getAsString()).toList());
        JsonObject summary = lines.get(3);
        assertTrue(summary.get("ratio").getAsDouble() > 0, summary.toString());
        assertTrue(summary.get("raw_mb_per_s").getAsDouble() > 0, summary.toString());
        assertTrue(summary.get("loader_samples_per_s").getAsDouble() > 0, summary.toString());
        assertEquals(0, summary.get("retries").getAsLong());
        assertEquals(setup.get("bytes").getAsLong(), lines.get(1).get("bytes").getAsLong(), "raw read the split");
        assertEquals(setup.get("bytes").getAsLong(), lines.get(2).get("bytes").getAsLong(), "loader read the split");

        String[] text = java.util.Arrays.copyOf(args, args.length - 1);
        r = CliRunner.run(text);
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("reusing " + tmp.resolve("store-images-48x48-")), r.out());
        assertTrue(r.out().contains("vs raw parallel GET") && r.out().contains("ratio"), r.out());
    }

    @Test
    void optionMistakesAreUsageErrors() {
        CliRunner.Result r = CliRunner.run("bench", "store", "--s3-endpoint", "http://127.0.0.1:1", "--workdir",
                tmp.toString());
        assertEquals(2, r.code(), r.all());
        assertTrue(r.err().contains("--data s3://"), r.err());
        r = CliRunner.run("bench", "store", "--hedge", "1.5", "--workdir", tmp.toString());
        assertEquals(2, r.code(), r.all());
        assertTrue(r.err().contains("--hedge must be a fraction between 0 and 1, got 1.5"), r.err());
        r = CliRunner.run("train", "--cache-bytes", "1GB", "--data", tmp.toString(), "--run-dir",
                tmp.resolve("r").toString());
        assertEquals(2, r.code(), r.all());
        assertTrue(r.err().contains("--cache-dir"), r.err());
        r = CliRunner.run("bench", "store", "--help");
        assertEquals(0, r.code(), r.all());
        for (String o : List.of("--data", "--workdir", "--size", "--part-size", "--concurrency", "--prefetch",
            "--cache-dir", "--json")) {
            assertTrue(r.out().contains(o), o + " in " + r.out());
        }
    }
}
