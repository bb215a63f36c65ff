package dev.sluice.engine.cli;

import dev.sluice.engine.datasets.DefaultDataset;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The default job on real data: Fashion-MNIST through the whole pipeline reaches >= 0.85. */
class FashionMnistTrainingTest {

    @TempDir
    Path tmp;

    @Test
    void defaultModelReachesTheAccuracyBar() throws Exception {
        assumeTrue(Files.isDirectory(DefaultDataset.SOURCE), "install Debian's dataset-fashion-mnist");
        long t0 = System.nanoTime();
        CliRunner.Result r = CliRunner.run("--epochs", "3", "--run-dir", tmp.resolve("run").toString(), "--json",
                "--progress", "never");
        assertEquals(0, r.code(), r.all());
        String summary = r.out().lines().filter(l -> l.startsWith("{\"event\":\"summary\"")).findFirst().orElseThrow();
        JsonObject s = JsonParser.parseString(summary).getAsJsonObject();
        assertEquals(10_000, s.get("eval_samples").getAsLong());
        assertTrue(s.get("test_accuracy").getAsDouble() >= 0.85, summary);
        assertTrue((System.nanoTime() - t0) / 1e9 < 300, "under 5 minutes");
        // the loader keeps ahead of training: after the first (cold) epoch, data wait stays under 2% of step time
        double waitMs = 0;
        double stepMs = 0;
        for (String line : r.out().lines().filter(l -> l.startsWith("{\"event\":\"epoch\"")).skip(1).toList()) {
            JsonObject e = JsonParser.parseString(line).getAsJsonObject();
            waitMs += e.get("data_wait_ms").getAsDouble();
            stepMs += e.get("data_wait_ms").getAsDouble() + e.get("h2d_ms").getAsDouble()
                    + e.get("compute_ms").getAsDouble() + e.get("allreduce_ms").getAsDouble();
        }
        assertTrue(stepMs > 0 && waitMs / stepMs < 0.02, "data wait " + waitMs + " ms of " + stepMs + " ms per step");
    }
}
