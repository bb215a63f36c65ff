package dev.sluice.engine.cli;

import dev.sluice.engine.bench.BenchReport;
import dev.sluice.engine.bench.H2dBenchmark;
import dev.sluice.engine.bench.H2dBenchmarkResult;
import dev.sluice.engine.device.DeviceUnavailableException;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code train.jar bench h2d}: host-to-device copy rates against pinned cudaMemcpy. */
@Command(name = "h2d", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Host-to-device bandwidth on a CUDA GPU, in one run: pageable (heap and direct) vs. pinned"
                + " cudaMemcpy vs. the feeder's sustained rate (pinned batches, copy stream, transform kernel).",
            "Goal: feeder >= 0.8 of pinned. Needs an NVIDIA GPU and driver."})
final class BenchH2dCommand implements Callable<Integer> {

    @Option(names = "--gpu", defaultValue = "0", description = "GPU ordinal (default: ${DEFAULT-VALUE}).")
    int gpu;

    @Option(names = "--sizes", split = ",", paramLabel = "SIZE", converter = ByteSizeConverter.class,
            description = "Batch sizes to copy (default: 1MB,16MB,64MB).")
    List<Long> sizes;

    @Option(names = "--iterations", defaultValue = "50", description = "Copies per size (default: ${DEFAULT-VALUE}).")
    int iterations;

    @Option(names = "--json", description = "One JSON object per line.")
    boolean json;

    @Override
    public Integer call() {
        PrintStream out = System.out;
        long[] s = sizes == null ? H2dBenchmark.DEFAULT_SIZES : sizes.stream().mapToLong(Long::longValue).toArray();
        List<H2dBenchmarkResult> results;
        try {
            results = H2dBenchmark.run(gpu, s, iterations);
        } catch (DeviceUnavailableException e) {
            throw new UserException(e.getMessage());
        }
        for (H2dBenchmarkResult r : results) {
            BenchReport.Row f = BenchReport.to(out, json, "h2d").row("size");
            f.put("device", r.device());
            f.put("bytes", r.bytes());
            f.put("pageable_heap_gb_per_s", r.pageableHeapGBps());
            f.put("pageable_direct_gb_per_s", r.pageableDirectGBps());
            f.put("pinned_gb_per_s", r.pinnedGBps());
            f.put("feeder_gb_per_s", r.feederGBps());
            f.put("feeder_over_pinned", r.feederOverPinned());
            f.put("meets_goal", r.meetsGoal());
            f.print(r.describe());
        }
        return 0;
    }
}
