package dev.sluice.engine.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.engine.device.CudaProbe;
import dev.sluice.engine.device.DeviceUnavailableException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Without a GPU the benchmark refuses with one clear message instead of a JCuda link error; its
 * sizing and report are checked against hand-worked numbers. The bandwidths themselves are checked
 * against CUDA's own event timer in {@link H2dBenchmarkGpuTest}.
 */
class H2dBenchmarkTest {

    @Test
    void withoutAGpuTheBenchmarkSaysItNeedsOne() {
        CudaProbe.Status status = CudaProbe.system();
        Assumptions.assumeFalse(status.available(), "a CUDA GPU is present: covered by H2dBenchmarkGpuTest");
        DeviceUnavailableException e = assertThrows(DeviceUnavailableException.class,
                () -> H2dBenchmark.run(H2dBenchmark.DEFAULT_SIZES, 5));
        assertTrue(e.getMessage().startsWith("bench h2d needs a CUDA GPU: "), e.getMessage());
        assertTrue(e.getMessage().contains(status.reason()), e.getMessage());
    }

    @Test
    void iterationsMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> H2dBenchmark.run(new long[] {1 << 20}, 0));
    }

    @Test
    void transfersCarryWholeImages() {
        // one 224x224x3 uint8 image is 150,528 bytes: 1 MiB holds 6 (903,168 bytes), 64 MiB 445
        assertEquals(6, H2dBenchmark.imagesFor(1L << 20));
        assertEquals(445, H2dBenchmark.imagesFor(64L << 20));
        assertEquals(1, H2dBenchmark.imagesFor(150_528));
        assertEquals(1, H2dBenchmark.imagesFor(100), "never less than one image");
        assertEquals(2, H2dBenchmark.imagesFor(2 * 150_528 + 150_527));
    }

    @Test
    void reportLineAndGoal() {
        H2dBenchmarkResult r = new H2dBenchmarkResult("cuda:0 test", 903_168, 10, 5, 6, 20, 17, 22, 0.85);
        assertEquals("cuda:0 test 903,168 bytes x 10: pageable heap 5.00 GB/s, pageable direct 6.00 GB/s,"
                + " pinned 20.00 GB/s, feeder 17.00 GB/s (copies alone 22.00 GB/s), feeder/pinned 0.850 (goal >= 0.8)",
                r.describe());
        assertTrue(r.meetsGoal());
        assertTrue(new H2dBenchmarkResult("d", 1, 1, 1, 1, 10, 8, 8, 0.8).meetsGoal(), "the goal is inclusive");
        assertFalse(new H2dBenchmarkResult("d", 1, 1, 1, 1, 10, 7.99, 8, 0.799).meetsGoal());
    }
}
