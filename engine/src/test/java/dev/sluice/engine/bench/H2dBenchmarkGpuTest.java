package dev.sluice.engine.bench;

import dev.sluice.engine.device.GpuAssumptions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import jcuda.Pointer;
import jcuda.runtime.JCuda;
import jcuda.runtime.cudaError;
import jcuda.runtime.cudaEvent_t;
import jcuda.runtime.cudaMemcpyKind;
import org.junit.jupiter.api.Test;

/**
 * Runs {@code bench h2d} on a real GPU (skipped without one). Figures go to stdout and, when the
 * environment names a folder in {@code SLUICE_BENCH_OUT}, to {@code h2d.txt} there.
 */
class H2dBenchmarkGpuTest {

    @Test
    void benchmarkMeasuresEveryMethodInOneRun() throws IOException {
        GpuAssumptions.gpus(1);
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
        }
        // An independent measure of the baseline: the same pinned copy timed by CUDA's own event
        // clock on the device, not by the benchmark's host timer. Within 2x of each other.
        H2dBenchmarkResult large = results.get(1);
        double eventGBps = pinnedCopyByCudaEvents((int) large.bytes(), 30);
        report.append(String.format(java.util.Locale.ROOT, "independent pinned cudaMemcpy (CUDA events): %.2f GB/s%n",
                eventGBps));
        assertTrue(large.pinnedGBps() > eventGBps / 2 && large.pinnedGBps() < eventGBps * 2,
                large.describe() + " vs " + eventGBps + " GB/s by CUDA events");
        System.out.print(report);
        String out = System.getenv("SLUICE_BENCH_OUT");
        if (out != null) {
            Files.writeString(Path.of(out, "h2d.txt"), report, StandardCharsets.UTF_8);
        }
    }

    /** Pinned host-to-device cudaMemcpy on GPU 0, timed with CUDA events; GB/s (10^9 bytes/s). */
    private static double pinnedCopyByCudaEvents(int bytes, int iterations) {
        check(JCuda.cudaSetDevice(0), "cudaSetDevice");
        Pointer host = new Pointer();
        Pointer device = new Pointer();
        cudaEvent_t start = new cudaEvent_t();
        cudaEvent_t stop = new cudaEvent_t();
        check(JCuda.cudaMallocHost(host, bytes), "cudaMallocHost");
        check(JCuda.cudaMalloc(device, bytes), "cudaMalloc");
        check(JCuda.cudaEventCreate(start), "cudaEventCreate");
        check(JCuda.cudaEventCreate(stop), "cudaEventCreate");
        try {
            for (int i = 0; i < 3; i++) {
                check(JCuda.cudaMemcpy(device, host, bytes, cudaMemcpyKind.cudaMemcpyHostToDevice), "warm-up");
            }
            check(JCuda.cudaEventRecord(start, null), "cudaEventRecord");
            for (int i = 0; i < iterations; i++) {
                check(JCuda.cudaMemcpy(device, host, bytes, cudaMemcpyKind.cudaMemcpyHostToDevice), "cudaMemcpy");
            }
            check(JCuda.cudaEventRecord(stop, null), "cudaEventRecord");
            check(JCuda.cudaEventSynchronize(stop), "cudaEventSynchronize");
            float[] ms = {0};
            check(JCuda.cudaEventElapsedTime(ms, start, stop), "cudaEventElapsedTime");
            return (double) bytes * iterations / (ms[0] * 1e6);
        } finally {
            JCuda.cudaEventDestroy(start);
            JCuda.cudaEventDestroy(stop);
            JCuda.cudaFree(device);
            JCuda.cudaFreeHost(host);
        }
    }

    private static void check(int rc, String call) {
        assertEquals(cudaError.cudaSuccess, rc, call + ": " + cudaError.stringFor(rc));
    }
}
