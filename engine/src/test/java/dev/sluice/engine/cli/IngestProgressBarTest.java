package dev.sluice.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** {@link IngestProgressBar} on a clock the test moves: what a log and a terminal receive. */
class IngestProgressBarTest {

    private static final long S = 1_000_000_000L;

    private final AtomicLong now = new AtomicLong(1_000 * S);
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    private String printed() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private void at(double seconds) {
        now.set(1_000 * S + (long) (seconds * S));
    }

    @Test
    void withoutATerminalPrintsWholeLinesEveryFiveSecondsAndAnEtaOnlyFromAMeasuredRate() {
        IngestProgressBar p = new IngestProgressBar("files", false, out, now::get);
        at(0);
        p.start("train", 64);
        at(0.01);
        p.update(1, 10_000); // the moment the old bar showed an ETA of hours
        at(4.9);
        p.update(20, 1_000_000);
        at(6);
        p.update(32, 3_000_000); // 32 files in 6 s: 5.33 files/s, 0.5 MB/s, 32 more take 6 s
        at(8);
        p.update(48, 4_000_000);
        at(12);
        p.update(64, 6_000_000);
        p.finish("train");
        p.close();
        String s = printed();
        assertFalse(s.contains("\r"), s);
        assertEquals(List.of(
                "ingest train   0%  0/64 files",
                "ingest train  50%  32/64 files  5.3 files/s  0.5 MB/s  elapsed 0:00:06  ETA 0:00:06",
                "ingest train 100%  64/64 files  5.3 files/s  0.5 MB/s  elapsed 0:00:12"), s.lines().toList());
    }

    @Test
    void theBarIsFilledFromTheCountThePercentageShows() {
        IngestProgressBar p = new IngestProgressBar("files", true, out, now::get);
        at(0);
        p.start("train", 64);
        at(0.3);
        p.update(1, 100);
        at(2);
        p.update(16, 1_000_000); // 25%: 30 * 16 / 64 = 7.5, so 7 of 30 filled
        p.close();
        String[] draws = printed().split("\r");
        assertEquals("", draws[0]);
        assertEquals("ingest train   0% [" + " ".repeat(30) + "]  0/64 files  ? files/s", draws[1].stripTrailing());
        assertEquals("ingest train   1% [" + " ".repeat(30) + "]  1/64 files  ? files/s", draws[2].stripTrailing());
        assertEquals("ingest train  25% [" + "=".repeat(7) + " ".repeat(23) + "]  16/64 files  8.0 files/s  0.5 MB/s"
                + "  elapsed 0:00:02  ETA 0:00:06", draws[3].stripTrailing());
        assertTrue(printed().endsWith("\n"), "close ends the bar's line");
    }

    @Test
    void inputsAResumedIngestSkipsDoNotCountTowardsTheRate() {
        IngestProgressBar p = new IngestProgressBar("samples", false, out, now::get);
        at(0);
        p.start("train", 1000);
        at(3);
        p.update(500, 0); // half the inputs were in the interrupted run's shards: skipped in 3 s
        at(8);
        p.update(600, 1_000_000); // 100 read in 5 s: 20/s, 400 more take 20 s
        String last = printed().lines().reduce((a, b) -> b).orElseThrow();
        assertEquals("ingest train  60%  600/1,000 samples  20.0 samples/s  0.2 MB/s  elapsed 0:00:08  ETA 0:00:20",
                last);
    }

    @Test
    void anUnknownTotalShowsTheCountWithoutPercentage() {
        IngestProgressBar p = new IngestProgressBar("samples", false, out, now::get);
        at(0);
        p.start("train", -1);
        at(10);
        p.update(1234, 2_000_000);
        assertEquals(List.of("ingest train  0 samples", "ingest train  1,234 samples  123.4 samples/s  0.2 MB/s"),
                printed().lines().toList());
    }
}
