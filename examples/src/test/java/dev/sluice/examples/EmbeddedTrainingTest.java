package dev.sluice.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.engine.report.RunMetrics;
import dev.sluice.engine.train.TrainResult;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedding example trains the generated dataset to high accuracy and says so. */
class EmbeddedTrainingTest {

    @TempDir
    Path tmp;

    @Test
    void trainsThroughTrainingRunAndPrintsTheAccuracy() throws Exception {
        Path data = DemoDataset.write(tmp.resolve("bands"), 2000, 500, 3);
        Path runDir = tmp.resolve("run");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);

        TrainResult r = EmbeddedTraining.run(new String[] {"--data", data.toString(), "--epochs", "2",
            "--run-dir", runDir.toString()}, out);

        assertEquals(2, r.epochs().size());
        assertEquals(2 * (2000 / 64), r.steps());
        assertEquals(500, r.evalSamples());
        assertTrue(r.evalAccuracy() >= 0.9, "test accuracy " + r.evalAccuracy());
        assertEquals(r.evalAccuracy(), (double) r.evalCorrect() / r.evalSamples(), 1e-12);
        String printed = buf.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains(String.format(Locale.ROOT, "EmbeddedTraining: test accuracy %.4f (%d/500)"
                + " after 2 epochs, %d steps", r.evalAccuracy(), r.evalCorrect(), r.steps())), printed);
        // the run directory holds the metrics of exactly this run
        RunMetrics m = RunMetrics.read(runDir.resolve("metrics.jsonl"));
        assertEquals(2, m.epochs().size());
        assertEquals(r.evalAccuracy(), m.epochs().get(1).evalAccuracy(), 1e-12);
        assertEquals(r.epochs().get(0).trainLoss(), m.epochs().get(0).trainLoss(), 1e-12);
    }

    @Test
    void aGivenLocationIsUsedAsIs() throws Exception {
        PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        assertEquals("s3://bucket/prefix", DemoDataset.resolve("s3://bucket/prefix", tmp, out));
    }
}
