package dev.sluice.data.transform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SampleRandomTest {

    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    @Test
    void mix64IsTheSplitMix64Finalizer() {
        // Published splitmix64 outputs for seed 0: state advances by the golden gamma, then mixes.
        assertEquals(0xE220A8397B1DCDAFL, SampleRandom.mix64(GOLDEN_GAMMA));
        assertEquals(0x6E789E6AA1B965F4L, SampleRandom.mix64(2 * GOLDEN_GAMMA));
        assertEquals(0x06C45D188009454FL, SampleRandom.mix64(3 * GOLDEN_GAMMA));
    }

    @Test
    void decisionsMatchTheCudaSourceCompiledForTheHost() {
        // Printed by native/src/test/host/run.sh (sluice_transform.cuh built with g++).
        assertEquals(0xE21B503436E97F5BL, SampleRandom.sampleHash(7, 3));
        int[][] expected = {
            {5, 0, 1}, {1, 1, 0}, {1, 2, 0}, {0, 8, 0}, {8, 2, 0}, {2, 7, 1}, {2, 6, 1}, {1, 5, 0},
        };
        for (int id = 0; id < expected.length; id++) {
            long hash = SampleRandom.sampleHash(42, id);
            assertEquals(expected[id][0], SampleRandom.cropOffsetY(hash, 4), "dy of sample " + id);
            assertEquals(expected[id][1], SampleRandom.cropOffsetX(hash, 4), "dx of sample " + id);
            assertEquals(expected[id][2] == 1, SampleRandom.flip(hash), "flip of sample " + id);
        }
    }

    @Test
    void offsetsCoverTheWholeRangeUniformlyAndFlipIsAboutHalf() {
        int pad = 4;
        int[] countsY = new int[2 * pad + 1];
        int[] countsX = new int[2 * pad + 1];
        int flips = 0;
        int n = 90_000;
        for (int id = 0; id < n; id++) {
            long hash = SampleRandom.sampleHash(123, id);
            countsY[SampleRandom.cropOffsetY(hash, pad)]++;
            countsX[SampleRandom.cropOffsetX(hash, pad)]++;
            flips += SampleRandom.flip(hash) ? 1 : 0;
        }
        for (int k = 0; k <= 2 * pad; k++) {
            // expected 10000 each; 5 sigma is about 470
            assertTrue(Math.abs(countsY[k] - 10_000) < 500, "dy=" + k + " drawn " + countsY[k] + " times");
            assertTrue(Math.abs(countsX[k] - 10_000) < 500, "dx=" + k + " drawn " + countsX[k] + " times");
        }
        assertTrue(Math.abs(flips - n / 2) < 800, "flipped " + flips + " of " + n);
        assertEquals(0, SampleRandom.cropOffsetY(SampleRandom.sampleHash(1, 1), 0), "pad 0 means offset 0");
    }
}
