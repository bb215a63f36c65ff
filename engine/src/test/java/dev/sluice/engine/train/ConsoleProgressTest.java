package dev.sluice.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Progress lines without a terminal, timed by a test clock. */
class ConsoleProgressTest {

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final AtomicLong nanos = new AtomicLong();
    private final Console console = new Console(new PrintStream(bytes, true, StandardCharsets.UTF_8), false, false,
            nanos::get);

    private List<String> lines() {
        return bytes.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @Test
    void aSlowEpochPrintsAProgressLineWithinSecondsNotAfterAQuarter() {
        // 1,000 steps of 1 s each: a quarter would take 250 s
        Console.Progress p = console.epoch(1, 5, 0, 1000, 128);
        for (int i = 0; i < 4; i++) {
            nanos.addAndGet(1_000_000_000L);
            p.step(2.0);
        }
        assertEquals(List.of(), lines(), "4 s in: not yet");
        nanos.addAndGet(1_000_000_000L);
        p.step(2.0);
        assertEquals(1, lines().size(), lines().toString());
        assertTrue(lines().get(0).startsWith("epoch 1/5    0%  step 5/1000"), lines().get(0));
    }

    @Test
    void aFastEpochPrintsAtEachQuarter() {
        Console.Progress p = console.epoch(1, 1, 0, 8, 10);
        for (int i = 0; i < 8; i++) {
            nanos.addAndGet(1_000_000L);
            p.step(1.0);
        }
        assertEquals(4, lines().size(), lines().toString());
        assertTrue(lines().get(3).contains("100%  step 8/8"), lines().get(3));
    }

    @Test
    void aResumedEpochCountsTheStepsBeforeTheResume() {
        // resumed after 60 of 100 steps: the first line of the 40 left says step 61/100, not 1/40
        Console.Progress p = console.epoch(2, 3, 60, 40, 75);
        nanos.addAndGet(6_000_000_000L);
        p.step(0.5);
        assertTrue(lines().get(0).contains("61%  step 61/100"), lines().toString());
    }
}
