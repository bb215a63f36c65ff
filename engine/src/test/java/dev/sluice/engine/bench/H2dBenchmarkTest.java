package dev.sluice.engine.bench;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.engine.device.CudaProbe;
import dev.sluice.engine.device.DeviceUnavailableException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Without a GPU the benchmark refuses with one clear message instead of a JCuda link error. */
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
    void resultRatioAndGoal() {
        H2dBenchmarkResult r = new H2dBenchmarkResult("cuda:0 test", 1 << 20, 10, 5, 6, 20, 17, 22, 17.0 / 20);
        assertTrue(r.meetsGoal());
        assertTrue(r.describe().contains("feeder/pinned 0.850 (goal >= 0.8)"), r.describe());
    }
}
