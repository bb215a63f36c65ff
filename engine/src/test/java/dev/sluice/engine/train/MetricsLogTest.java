package dev.sluice.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** metrics.jsonl is JSON (no bare NaN) and tells the attempts of a resumed run apart. */
class MetricsLogTest {

    @TempDir
    Path tmp;

    @Test
    void nonFiniteNumbersAreWrittenAsNull() throws Exception {
        Path file = tmp.resolve("metrics.jsonl");
        try (MetricsLog log = new MetricsLog(file)) {
            log.event("epoch").put("train_loss", Double.NaN).put("eval_loss", Double.POSITIVE_INFINITY)
                    .put("lr", Float.NaN).put("steps", 3).write();
        }
        String line = Files.readString(file).strip();
        assertEquals("{\"event\":\"epoch\",\"attempt\":1,\"train_loss\":null,\"eval_loss\":null,\"lr\":null,"
                + "\"steps\":3}", line);
        assertFalse(line.contains("NaN") || line.contains("Infinity"), line);
    }

    @Test
    void aResumedRunsRowsCarryTheNextAttemptNumber() throws Exception {
        Path file = tmp.resolve("metrics.jsonl");
        try (MetricsLog first = new MetricsLog(file)) {
            first.event("start").write();
            first.event("step").put("step", 1).write();
        }
        try (MetricsLog second = new MetricsLog(file)) {
            assertEquals(2, second.attempt());
            second.event("start").write();
            second.event("step").put("step", 1).write();
        }
        List<String> lines = Files.readAllLines(file);
        assertEquals(4, lines.size());
        assertTrue(lines.get(1).startsWith("{\"event\":\"step\",\"attempt\":1,"), lines.get(1));
        assertTrue(lines.get(3).startsWith("{\"event\":\"step\",\"attempt\":2,"), lines.get(3));
    }
}
