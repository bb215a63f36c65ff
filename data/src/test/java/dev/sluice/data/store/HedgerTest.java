package dev.sluice.data.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The hedge deadline and budget on hand-worked cases. */
class HedgerTest {

    private static final long MS = 1_000_000L;

    @Test
    void nearestRankQuantile() {
        long[] v = {5, 1, 4, 2, 3, 10, 9, 8, 7, 6, 15, 14, 13, 12, 11, 20, 19, 18, 17, 16};
        // 0.95 * 20 = 19: the 19th smallest
        assertEquals(19, LatencyWindow.quantile(v.clone(), 0.95));
        assertEquals(10, LatencyWindow.quantile(v.clone(), 0.5));
        assertEquals(20, LatencyWindow.quantile(v.clone(), 0.99)); // ceil(19.8) = 20
        assertEquals(-1, LatencyWindow.quantile(new long[0], 0.95));
    }

    @Test
    void deadlineIsTwiceP95WithAFloorAndOnlyOnceWarm() {
        Hedger h = new Hedger(new HedgePolicy(0.05, 2.0, Duration.ofMillis(50), 20));
        for (int i = 1; i <= 19; i++) {
            h.completed(100 * MS);
        }
        assertEquals(-1, h.deadlineNanos(), "19 samples: not warm yet");
        h.completed(300 * MS); // 20 samples: 19 x 100 ms and one 300 ms; p95 is the 19th = 100 ms
        assertEquals(200 * MS, h.deadlineNanos());

        Hedger fast = new Hedger(new HedgePolicy(0.05, 2.0, Duration.ofMillis(50), 20));
        for (int i = 0; i < 20; i++) {
            fast.completed(10 * MS);
        }
        assertEquals(50 * MS, fast.deadlineNanos(), "2 x 10 ms is under the 50 ms floor");
        assertEquals(-1, new Hedger(HedgePolicy.off()).deadlineNanos());
    }

    @Test
    void hedgesStayWithinTheFractionOfReadsStarted() {
        Hedger h = new Hedger(HedgePolicy.defaults()); // 5%
        for (int i = 0; i < 19; i++) {
            h.readStarted();
        }
        assertFalse(h.tryHedge(), "19 reads allow 0.95 hedges");
        h.readStarted();
        assertTrue(h.tryHedge(), "20 reads allow one");
        assertFalse(h.tryHedge());
        for (int i = 0; i < 20; i++) {
            h.readStarted();
        }
        assertTrue(h.tryHedge(), "40 reads allow two");
        assertFalse(h.tryHedge());
        assertEquals(2, h.hedges());
    }
}
