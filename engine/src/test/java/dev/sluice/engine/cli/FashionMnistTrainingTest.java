package dev.sluice.engine.cli;

import dev.sluice.engine.datasets.DefaultDataset;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The default job on real data: Fashion-MNIST through the whole pipeline reaches >= 0.85. */
class FashionMnistTrainingTest {

    @TempDir
    Path tmp;

    @Test
    void defaultModelReachesTheAccuracyBar() throws Exception {
        assumeTrue(Files.isDirectory(DefaultDataset.SOURCE), "install Debian's dataset-fashion-mnist");
        CliRunner.Result r = CliRunner.run("--epochs", "3", "--run-dir", tmp.resolve("run").toString(), "--json",
                "--progress", "never");
        assertEquals(0, r.code(), r.all());
        String summary = r.out().lines().filter(l -> l.startsWith("{\"event\":\"summary\"")).findFirst().orElseThrow();
        JsonObject s = JsonParser.parseString(summary).getAsJsonObject();
        assertEquals(10_000, s.get("eval_samples").getAsLong());
        assertTrue(s.get("test_accuracy").getAsDouble() >= 0.85, summary);
        // how long the trainer waits for data is a benchmark figure (docs/BENCHMARKS.md), not a
        // test bar; here only that every epoch reports it
        List<String> epochs = r.out().lines().filter(l -> l.startsWith("{\"event\":\"epoch\"")).toList();
        assertEquals(3, epochs.size(), r.out());
        for (String line : epochs) {
            JsonObject e = JsonParser.parseString(line).getAsJsonObject();
            assertTrue(e.get("data_wait_ms").getAsDouble() >= 0, line);
        }
    }
}
