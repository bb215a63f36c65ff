package dev.sluice.data.loader;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The bounded shuffle's draw addresses at most 2^31 - 1 open samples ({@code nextInt}); a window
 * that could hold more fails up front instead of silently never drawing the samples past the cap.
 */
class SampleMixerTest {

    private static final long TWO_30 = 1L << 30; // 1 073 741 824

    @Test
    void aWindowThatCouldHoldMoreThanTwoToThe31SamplesFailsBeforeAllocating() {
        // hand-worked: window 2 over shards of 2^30 and 2^30 + 1 samples opens up to
        // 1 073 741 824 + 1 073 741 825 = 2 147 483 649 = 2^31 + 1 samples, two past 2^31 - 1
        List<Run> runs = List.of(Run.contiguous(0, 0, (int) TWO_30), Run.contiguous(1, 0, (int) TWO_30 + 1),
                Run.contiguous(2, 0, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SampleMixer(runs, 2, true, 42));
        String m = e.getMessage();
        assertTrue(m.contains("shuffle window of 2 shards can hold 2147483649 samples"), m);
        // the two largest alone overflow: only a window of one shard is safe here
        assertTrue(m.contains("at most 1 for this split"), m);
    }

    @Test
    void theBoundCountsTheLargestShardsWhateverTheirOrder() {
        // 3 + 2^30 + (2^30 - 1) = 2^31 + 2: the two largest (2^31 - 1 together) fit, three do not
        long[] counts = {3, TWO_30, TWO_30 - 1};
        assertDoesNotThrow(() -> SampleMixer.checkWindow(counts, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SampleMixer.checkWindow(counts, 3));
        assertTrue(e.getMessage().contains("can hold 2147483650 samples"), e.getMessage());
        assertTrue(e.getMessage().contains("at most 2 for this split"), e.getMessage());
        // a window wider than the split counts every shard once
        assertDoesNotThrow(() -> SampleMixer.checkWindow(new long[] {5, 7}, 1000));
    }

    @Test
    void aRankWhoseRunsOverflowTheWindowFailsWhenItsEpochStarts() {
        long[] shards = {TWO_30, TWO_30, TWO_30};
        EpochPlan plan = new EpochPlan(shards, 1, 0, true, Remainder.DROP, 2);
        // one rank takes all three shards: two open ones hold 2^31 samples, one past the bound
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> plan.resume(LoaderState.start(1, 0), 1, 0));
        assertTrue(e.getMessage().contains("can hold 2147483648 samples"), e.getMessage());
    }
}
