package dev.sluice.engine.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.engine.device.CudaProbe;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Runs {@code bench h2d} on a real GPU (skipped without one). Figures go to stdout and, when the
 * environment names a folder in {@code SLUICE_BENCH_OUT}, to {@code h2d.txt} there.
 */
class H2dBenchmarkGpuTest {

    @Test
    void benchmarkMeasuresEveryMethodInOneRun() throws IOException {
        Assumptions.assumeTrue(CudaProbe.system().available(), "no CUDA GPU: " + CudaProbe.system().reason());
        List<H2dBenchmarkResult> results = H2dBenchmark.run(new long[] {1L << 20, 64L << 20}, 30);
        assertEquals(2, results.size());
        StringBuilder report = new StringBuilder();
        for (H2dBenchmarkResult r : results) {
            report.append(r.describe()).append('\n');
            assertTrue(r.bytes() > 0 && r.bytes() % (224 * 224 * 3) == 0, "whole images: " + r.bytes());
            for (double gbps : new double[] {r.pageableHeapGBps(), r.pageableDirectGBps(), r.pinnedGBps(),
                    r.feederGBps(), r.feederCopyEventGBps()}) {
                assertTrue(gbps > 0.1 && gbps < 2000, r.describe());
            }
            assertEquals(r.feederGBps() / r.pinnedGBps(), r.feederOverPinned(), 1e-12);
        }
        System.out.print(report);
        String out = System.getenv("SLUICE_BENCH_OUT");
        if (out != null) {
            Files.writeString(Path.of(out, "h2d.txt"), report, StandardCharsets.UTF_8);
        }
    }
}
