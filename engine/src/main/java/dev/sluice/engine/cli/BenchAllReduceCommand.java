package dev.sluice.engine.cli;

import dev.sluice.engine.bench.BenchReport;
import dev.sluice.engine.bench.AllReduceBenchmark;
import dev.sluice.engine.collective.CollectiveException;
import dev.sluice.engine.bench.NcclAllReduceBenchmark;
import dev.sluice.engine.device.CudaProbe;
import dev.sluice.nccl.Nccl;
import dev.sluice.nccl.NcclLoadOptions;
import dev.sluice.nccl.NcclRuntime;
import dev.sluice.nccl.NcclUnavailableException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code train.jar bench allreduce}: CPU all-reduce bandwidth (in-process and TCP over loopback)
 * against memcpy bandwidth in the same run and, where NCCL loads, NCCL bus bandwidth over the local
 * GPUs computed as nccl-tests does.
 */
@Command(name = "allreduce", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"All-reduce bandwidth: the CPU collectives vs. memcpy in the same run, and NCCL over the local GPUs.",
            "Bandwidths follow nccl-tests: algbw = bytes / time per call, busbw = algbw x 2(n-1)/n; GB = 1e9 bytes.",
            "The NCCL part runs when NCCL loads (or with --nccl); otherwise one line says why it was skipped."})
public final class BenchAllReduceCommand implements Callable<Integer> {

    @Option(names = "--ranks", defaultValue = "2",
            description = "Ranks (threads) of the CPU collectives (default: ${DEFAULT-VALUE}).")
    int ranks;

    @Option(names = "--transport", defaultValue = "both",
            description = "CPU collective to measure: in-process, tcp or both (default: ${DEFAULT-VALUE}).")
    String transport;

    @Option(names = "--sizes", split = ",", paramLabel = "SIZE", converter = ByteSizeConverter.class,
            defaultValue = "1MB,4MB,16MB,64MB,256MB",
            description = "Buffer sizes per rank for the CPU collectives (default: ${DEFAULT-VALUE}).")
    List<Long> sizes;

    @Option(names = "--iterations", defaultValue = "10",
            description = "Timed calls per size (default: ${DEFAULT-VALUE}).")
    int iterations;

    @Option(names = "--warmup", defaultValue = "2",
            description = "Untimed calls per size before the timed ones (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--nccl", negatable = true,
            description = "Require the NCCL part (fail if NCCL cannot load), or skip it with --no-nccl."
                    + " Default: run it when NCCL loads.")
    Boolean nccl;

    @Option(names = "--nccl-lib", paramLabel = "PATH",
            description = "libnccl.so.2 or its directory, when the dynamic linker would not find it (implies --nccl).")
    Path ncclLib;

    @Option(names = "--gpus", defaultValue = "0",
            description = "GPUs for the NCCL part, devices 0..N-1; 0 for all visible (default: ${DEFAULT-VALUE}).")
    int gpus;

    @Option(names = "--nccl-sizes", split = ",", paramLabel = "SIZE", converter = ByteSizeConverter.class,
            description = "Buffer sizes per GPU for NCCL (default: 1MB to 1GB, doubling).")
    List<Long> ncclSizes;

    @Option(names = "--nccl-iterations", defaultValue = "20",
            description = "Timed NCCL calls per size (default: ${DEFAULT-VALUE}).")
    int ncclIterations;

    @Option(names = "--json", description = "One JSON object per line.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        List<AllReduceBenchmark.Transport> transports = switch (transport) {
            case "both" -> List.of(AllReduceBenchmark.Transport.IN_PROCESS, AllReduceBenchmark.Transport.TCP_LOOPBACK);
            case "in-process" -> List.of(AllReduceBenchmark.Transport.IN_PROCESS);
            case "tcp" -> List.of(AllReduceBenchmark.Transport.TCP_LOOPBACK);
            case "none" -> List.of();
            default -> throw new UserException("--transport must be in-process, tcp, both or none, not '"
                    + transport + "'");
        };
        if (ranks < 1) {
            throw new UserException("--ranks must be at least 1, got " + ranks);
        }
        if (iterations < 1 || warmup < 0 || ncclIterations < 1) {
            throw new UserException("--iterations and --nccl-iterations must be at least 1 and --warmup at least 0");
        }
        List<Integer> cpuSizes = sizes("--sizes", sizes);
        for (AllReduceBenchmark.Transport t : transports) {
            AllReduceBenchmark.Options o = new AllReduceBenchmark.Options(t, ranks, cpuSizes, warmup, iterations);
            report(out, AllReduceBenchmark.run(o));
        }
        if (!Boolean.FALSE.equals(nccl)) {
            nccl(out);
        }
        return 0;
    }

    private void report(PrintWriter out, AllReduceBenchmark.Result r) {
        String name = r.transport() == AllReduceBenchmark.Transport.IN_PROCESS ? "in-process" : "tcp";
        if (!json) {
            out.println("all-reduce, " + name + ", " + r.ranks() + " ranks (" + r.description() + "):");
            out.println(String.format(Locale.ROOT, "%10s %12s %11s %11s %12s %14s", "size", "time/call",
                    "algbw GB/s", "busbw GB/s", "memcpy GB/s", "busbw/memcpy"));
        }
        for (AllReduceBenchmark.Point p : r.points()) {
            BenchReport.Row f = BenchReport.to(out, json, "allreduce").row("size");
            f.put("transport", name);
            f.put("ranks", r.ranks());
            f.put("bytes", p.bytes());
            f.put("iterations", p.iterations());
            f.put("seconds_per_call", p.secondsPerCall());
            f.put("algbw_gbps", p.algorithmGBps());
            f.put("busbw_gbps", p.busGBps());
            f.put("memcpy_gbps", p.memcpyGBps());
            f.put("busbw_over_memcpy", p.busOverMemcpy());
            f.print(String.format(Locale.ROOT, "%10s %9.3f ms %11.2f %11.2f %12.2f %14.2f", size(p.bytes()),
                    p.secondsPerCall() * 1e3, p.algorithmGBps(), p.busGBps(), p.memcpyGBps(), p.busOverMemcpy()));
        }
        AllReduceBenchmark.Point last = r.points().get(r.points().size() - 1);
        BenchReport.Row f = BenchReport.to(out, json, "allreduce").row("summary");
        f.put("transport", name);
        f.put("ranks", r.ranks());
        f.put("bytes", last.bytes());
        f.put("busbw_gbps", last.busGBps());
        f.put("memcpy_gbps", last.memcpyGBps());
        f.put("ratio", last.busOverMemcpy());
        f.print(String.format(Locale.ROOT, "%s, %d ranks, %s: bus bandwidth %.2f GB/s = %.2f x memcpy (%.2f GB/s)",
                name, r.ranks(), size(last.bytes()), last.busGBps(), last.busOverMemcpy(), last.memcpyGBps()));
    }

    private void nccl(PrintWriter out) throws CollectiveException {
        NcclLoadOptions options = ncclLib == null ? NcclLoadOptions.defaults()
                : NcclLoadOptions.defaults().withNcclLibrary(ncclLib);
        NcclRuntime runtime;
        int visible = CudaProbe.system().gpus().size();
        try {
            runtime = Nccl.load(options);
            if (visible == 0) {
                throw new NcclUnavailableException("NCCL needs a CUDA GPU, and none is usable here: "
                        + CudaProbe.system().reason());
            }
        } catch (NcclUnavailableException e) {
            if (Boolean.TRUE.equals(nccl) || ncclLib != null) {
                throw new UserException(e.getMessage());
            }
            skipped(out, e.getMessage());
            return;
        }
        int n = gpus == 0 ? visible : gpus;
        if (n < 1 || n > visible) {
            throw new UserException("--gpus " + gpus + ": " + visible + " GPU(s) visible");
        }
        List<Integer> s = ncclSizes == null ? NcclAllReduceBenchmark.DEFAULT_SIZES : sizes("--nccl-sizes", ncclSizes);
        NcclAllReduceBenchmark.Options o = new NcclAllReduceBenchmark.Options(n, s, 5, ncclIterations,
                Duration.ofMinutes(2));
        NcclAllReduceBenchmark.Result r = NcclAllReduceBenchmark.run(runtime, o);
        if (!json) {
            out.println("all-reduce, nccl over " + n + " GPU(s): " + r.description());
            out.println(String.format(Locale.ROOT, "%10s %12s %11s %11s", "size", "time/call", "algbw GB/s",
                    "busbw GB/s"));
        }
        for (NcclAllReduceBenchmark.Point p : r.points()) {
            BenchReport.Row f = BenchReport.to(out, json, "allreduce").row("size");
            f.put("transport", "nccl");
            f.put("ranks", r.ranks());
            f.put("bytes", p.bytes());
            f.put("iterations", p.iterations());
            f.put("seconds_per_call", p.secondsPerCall());
            f.put("algbw_gbps", p.algorithmGBps());
            f.put("busbw_gbps", p.busGBps());
            f.print(String.format(Locale.ROOT, "%10s %9.1f us %11.2f %11.2f", size(p.bytes()),
                    p.secondsPerCall() * 1e6, p.algorithmGBps(), p.busGBps()));
        }
        if (n == 1 && !json) {
            out.println("(one GPU: bus bandwidth is 0 by definition, nothing crosses a link; algbw is the local rate)");
        }
    }

    private void skipped(PrintWriter out, String message) {
        String first = message.lines().findFirst().orElse(message).strip();
        BenchReport.Row f = BenchReport.to(out, json, "allreduce").row("skipped");
        f.put("transport", "nccl");
        f.put("skipped", true);
        f.put("reason", first);
        f.print("nccl: skipped: " + first + " (--nccl shows the full report)");
    }

    private static List<Integer> sizes(String option, List<Long> values) {
        List<Integer> out = new ArrayList<>();
        for (long v : values) {
            if (v % 4 != 0 || v > (1L << 30)) {
                throw new UserException(option + ": " + v + " bytes is not a multiple of 4 bytes up to 1GB");
            }
            out.add((int) v);
        }
        return out;
    }

    private static String size(long bytes) {
        if (bytes >= 1L << 30 && bytes % (1L << 30) == 0) {
            return bytes / (1L << 30) + " GiB";
        }
        if (bytes >= 1 << 20 && bytes % (1 << 20) == 0) {
            return bytes / (1 << 20) + " MiB";
        }
        if (bytes >= 1 << 10 && bytes % (1 << 10) == 0) {
            return bytes / (1 << 10) + " KiB";
        }
        return bytes + " B";
    }
}
