package dev.sluice.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The NaN and divergence policy on hand-worked loss sequences. */
class DivergenceGuardTest {

    @Test
    void aLossThatRisesByOrdersOfMagnitudeStopsTheRunNamingTheLastCheckpoint() {
        DivergenceGuard g = new DivergenceGuard(false, 0, () -> "runs/x/checkpoints/step-00000010.ckpt");
        assertTrue(g.admit(1, 1, 2.3));
        // smoothed with weight 0.1: 0.9 * 2.3 + 0.1 * 1e5 = 10002.07 > 1000 * 2.3 = 2300
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> g.admit(2, 1, 1e5));
        assertEquals(2, e.step());
        assertTrue(e.getMessage().contains("step-00000010.ckpt") && e.getMessage().contains("rose from 2.3"),
                e.getMessage());
    }

    @Test
    void ordinaryNoiseAndASingleLargeBatchDoNotStopIt() {
        DivergenceGuard g = new DivergenceGuard(false, 0, () -> null);
        assertTrue(g.admit(1, 1, 2.3));
        for (int s = 2; s < 200; s++) {
            // loss falling to 0.05 with batches at 20x the current level now and then
            double loss = s % 17 == 0 ? 1.0 : Math.max(0.05, 2.3 / s);
            assertTrue(g.admit(s, 1, loss));
        }
        // one batch at 10,000: smoothed 0.9 * ~0.1 + 1000 = ~1000 < 2300
        assertTrue(g.admit(200, 1, 10_000));
    }

    @Test
    void aNonFiniteLossStopsTheRunUnlessSkipped() {
        DivergenceGuard stop = new DivergenceGuard(false, 0, () -> null);
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                () -> stop.admit(1, 1, Double.NaN));
        assertTrue(e.getMessage().contains("last good checkpoint: none"), e.getMessage());

        DivergenceGuard skip = new DivergenceGuard(true, 3, () -> null);
        assertFalse(skip.admit(1, 1, Double.POSITIVE_INFINITY));
        assertEquals(4, skip.skipped(), "counts on from the batches skipped before a resume");
    }

    @Test
    void skippingMostBatchesStopsTheRun() {
        DivergenceGuard g = new DivergenceGuard(true, 0, () -> "ckpt-7");
        // 10 good steps, then every step NaN: at step 21, 11 of 21 skipped > 50%
        for (int s = 1; s <= 10; s++) {
            assertTrue(g.admit(s, 1, 1.0));
        }
        for (int s = 11; s <= 20; s++) {
            assertFalse(g.admit(s, 1, Double.NaN));
        }
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                () -> g.admit(21, 1, Double.NaN));
        assertTrue(e.getMessage().contains("11 of the last 21 steps") && e.getMessage().contains("ckpt-7"),
                e.getMessage());
    }

    @Test
    void afewSkippedBatchesAreTolerated() {
        DivergenceGuard g = new DivergenceGuard(true, 0, () -> null);
        for (int s = 1; s <= 100; s++) {
            boolean nan = s % 10 == 0;
            assertEquals(!nan, g.admit(s, 1, nan ? Double.NaN : 1.0));
        }
        assertEquals(10, g.skipped());
    }
}
