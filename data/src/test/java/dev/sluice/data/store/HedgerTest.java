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
            h.completed(i, 100 * MS);
        }
        assertEquals(-1, h.deadlineNanos(), "19 samples: not warm yet");
        h.completed(20, 300 * MS); // 20 samples: 19 x 100 ms and one 300 ms; p95 is the 19th = 100 ms
        assertEquals(200 * MS, h.deadlineNanos());

        Hedger fast = new Hedger(new HedgePolicy(0.05, 2.0, Duration.ofMillis(50), 20));
        for (int i = 0; i < 20; i++) {
            fast.completed(i, 10 * MS);
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

    @Test
    void aLongQuietSpellBanksNoMoreThanTheHedgesOfAHundredReads() {
        Hedger h = new Hedger(HedgePolicy.defaults()); // 5%
        for (int i = 0; i < 10_000; i++) {
            h.readStarted();
        }
        int burst = 0;
        while (h.tryHedge()) {
            burst++;
        }
        assertEquals(5, burst, "5% of 100 reads, not 5% of 10,000");
        for (int i = 0; i < 40; i++) {
            h.readStarted();
        }
        assertTrue(h.tryHedge(), "40 more reads: two more hedges");
        assertTrue(h.tryHedge());
        assertFalse(h.tryHedge());
    }

    @Test
    void aReadIsLateOnlyWhenOneStartedAMedianLaterFinishedOrItIsAlone() {
        Hedger h = new Hedger(HedgePolicy.defaults());
        long a = h.readStarted(1_000 * MS);
        assertTrue(h.lateAmongPeers(a), "alone in flight: its delay is its own");
        long b = h.readStarted(1_000 * MS);
        long c = h.readStarted(1_010 * MS);
        long d = h.readStarted(1_200 * MS);
        assertFalse(h.lateAmongPeers(a), "four in flight, none finished: all slow alike");
        h.completed(a, 100 * MS); // median latency now 100 ms
        h.ended();
        assertFalse(h.lateAmongPeers(b), "only a read started with b finished: not overtaken");
        h.completed(c, 100 * MS);
        h.ended();
        assertFalse(h.lateAmongPeers(b), "c started 10 ms after b, under the 100 ms median: siblings");
        h.completed(d, 100 * MS);
        h.ended();
        assertTrue(h.lateAmongPeers(b), "d, started 200 ms after b, finished first");
        long e = h.readStarted(1_400 * MS);
        assertFalse(h.lateAmongPeers(e), "b is still in flight with e, and nothing after e has finished");
        h.ended(); // b fails or is abandoned: not a completion, so it overtakes nothing
        assertTrue(h.lateAmongPeers(e), "e is alone again");
    }
}
