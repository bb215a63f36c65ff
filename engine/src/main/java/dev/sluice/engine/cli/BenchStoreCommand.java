package dev.sluice.engine.cli;

import dev.sluice.engine.bench.BenchReport;
import dev.sluice.engine.datasets.DefaultDataset;
import dev.sluice.data.format.Dataset;
import dev.sluice.data.format.Split;
import dev.sluice.data.loader.LoaderConfig;
import dev.sluice.data.loader.ShardCache;
import dev.sluice.data.store.ObjectStore;
import dev.sluice.data.store.StoreOptions;
import dev.sluice.data.store.Stores;
import dev.sluice.engine.bench.ImageDatasetGenerator;
import dev.sluice.s3local.LocalS3Server;
import dev.sluice.engine.bench.Medians;
import dev.sluice.engine.bench.StoreBenchmark;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code train.jar bench store}: the loader over S3 against raw parallel GETs of the same objects
 * through the same S3 client, in one run.
 */
@Command(name = "store", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Loader throughput over S3 vs. raw parallel ranged GETs of the same shards, same client.",
            "Without --data, generates a dataset of large images (3x224x224 uint8 + label, --size in all) in",
            "--workdir once and reuses it; a local dataset is served by a small S3 server on 127.0.0.1 that this",
            "command starts and stops. With --data s3://... (and --s3-endpoint for an S3-compatible server) it",
            "measures that store instead. Prints both throughputs and their ratio; --json one JSON object per line."})
public final class BenchStoreCommand implements Callable<Integer> {

    /** Bucket name the local server gives the served directory. */
    static final String LOCAL_BUCKET = "sluice-bench";

    @Option(names = "--workdir", paramLabel = "DIR",
            description = "Where the generated dataset is kept and reused, as store-images-<side>x<side>-<samples>"
                    + " (default: $SLUICE_HOME/bench, SLUICE_HOME defaulting to ~/.cache/sluice).")
    Path workdir;

    @Option(names = "--size", paramLabel = "SIZE", defaultValue = "2GB", converter = ByteSizeConverter.class,
            description = "Size of the generated dataset (default: ${DEFAULT-VALUE}).")
    long size;

    @Option(names = "--image-side", paramLabel = "N", defaultValue = "224",
            description = "Generated images are 3 x N x N uint8 (default: ${DEFAULT-VALUE}).")
    int side;

    @Option(names = "--shard-size", paramLabel = "SIZE", defaultValue = "64MB", converter = ByteSizeConverter.class,
            description = "Shard size of the generated dataset (default: ${DEFAULT-VALUE}).")
    long shardSize;

    @Option(names = "--batch-size", defaultValue = "64", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--shuffle-window", defaultValue = "4",
            description = "Shards open at once for the shuffle (default: ${DEFAULT-VALUE}).")
    int window;

    @Option(names = "--prefetch", defaultValue = "2",
            description = "Shards fetched ahead of the window (default: ${DEFAULT-VALUE}).")
    int prefetch;

    @Option(names = "--rounds", defaultValue = "3",
            description = "Measured rounds of each pass, after the warm-up (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--warmup", defaultValue = "2",
            description = "Unmeasured rounds of each pass first (default: ${DEFAULT-VALUE}): the JIT, and the garbage"
                    + " collector sizing its young generation to the S3 client's per-part arrays, settle over the"
                    + " first few passes.")
    int warmup;

    @Option(names = "--no-crc",
            description = "Diagnosis: the loader skips its CRC32C checks, to show what they cost (not for training).")
    boolean noCrc;

    @Mixin
    DataOptionsMixin dataset;

    @Mixin
    CacheOptionsMixin cacheOptions;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        if (rounds < 1 || side < 1 || batchSize < 1 || warmup < 0) {
            throw new UserException("--rounds, --image-side and --batch-size must be positive, --warmup at least 0");
        }
        StoreOptions options = dataset.storeOptions();
        String location;
        Path serve = null;
        if (dataset.data != null && Stores.isS3(dataset.data)) {
            location = dataset.data;
        } else {
            if (options.s3Endpoint() != null) {
                throw new UserException("--s3-endpoint needs --data s3://bucket/prefix (the dataset on that server);"
                        + " without it this command serves a local dataset itself");
            }
            serve = dataset.data != null ? Path.of(dataset.data.startsWith("file:") ? java.net.URI.create(dataset.data).getPath() : dataset.data)
                    : generate(out);
            if (!Files.isRegularFile(serve.resolve("manifest.json"))) {
                throw new UserException(serve + " holds no dataset (no manifest.json); create one with ingest");
            }
            location = "s3://" + LOCAL_BUCKET;
        }
        ShardCache cache = cacheOptions.open();
        LocalS3Server server = serve == null ? null : LocalS3Server.start(serve, LOCAL_BUCKET);
        try {
            if (server != null) {
                // the local server checks no signature: no credential lookup, nothing to sign with
                options = options.withS3Endpoint(server.endpoint()).withAnonymous(true).withRegion("us-east-1");
            }
            try (ObjectStore store = Stores.open(location, options)) {
                return measure(out, store, options, server, cache);
            }
        } finally {
            if (server != null) {
                server.close();
            }
        }
    }

    private Path generate(PrintStream out) throws Exception {
        Path dir = workdir != null ? workdir : defaultWorkdir();
        ImageDatasetGenerator gen = ImageDatasetGenerator.ofSize(size, 3, side, side, shardSize);
        Path target = dir.resolve(String.format(Locale.ROOT, "store-images-%dx%d-%d", side, side, gen.samples()));
        if (gen.existsIn(target)) {
            if (!dataset.json) {
                out.printf(Locale.ROOT, "reusing %s (%,d samples)%n", target, gen.samples());
            }
            return target;
        }
        long t0 = System.nanoTime();
        try (ProgressBar pb = new ProgressBarBuilder().setTaskName("generate").setInitialMax(gen.samples())
                .setStyle(ProgressBarStyle.ASCII).setUnit(" samples", 1).showSpeed().setMaxRenderedLength(100).build()) {
            gen.ensure(target, pb::stepTo);
        }
        if (!dataset.json) {
            out.printf(Locale.ROOT, "generated %s: %,d samples in %.1f s%n", target, gen.samples(),
                    (System.nanoTime() - t0) / 1e9);
        }
        return target;
    }

    private static Path defaultWorkdir() {
        return DefaultDataset.home().resolve("bench");
    }

    private int measure(PrintStream out, ObjectStore store, StoreOptions options, LocalS3Server server,
                        ShardCache cache) throws Exception {
        Dataset ds = Dataset.open(store);
        Split sp = ds.manifest().split(dataset.split);
        LoaderConfig cfg = LoaderConfig.training(dataset.split, batchSize, 1).withShuffle(true, window)
                .withIo(prefetch, options.partBytes(), 4).withVerifyChecksums(!noCrc);
        StoreBenchmark bench = new StoreBenchmark(ds, cfg, cache);
        BenchReport.Row head = BenchReport.to(out, dataset.json, "store").row("setup");
        head.put("dataset", ds.manifest().name());
        head.put("location", store.location());
        head.put("endpoint", server != null ? server.endpoint() + " (local, started by this command)"
                : options.s3Endpoint() != null ? options.s3Endpoint() : "AWS");
        head.put("samples", sp.samples());
        head.put("bytes", sp.bytes());
        head.put("shards", sp.shards().size());
        head.put("part_bytes", options.partBytes());
        head.put("concurrency", options.maxConcurrency());
        head.put("shards_in_flight", bench.shardsInFlight());
        head.put("batch_size", batchSize);
        head.put("crc32c", !noCrc);
        head.put("cores", Runtime.getRuntime().availableProcessors());
        head.print(String.format(Locale.ROOT,
                "%s: %,d samples, %.2f GB in %d shards at %s via %s%n"
                        + "parts of %.1f MiB, %d requests in flight, %d shards in flight, batch %d, %d cores",
                ds.manifest().name(), sp.samples(), sp.bytes() / 1e9, sp.shards().size(), store.location(),
                head.fields().get("endpoint"), options.partBytes() / 1048576.0, options.maxConcurrency(),
                bench.shardsInFlight(), batchSize, Runtime.getRuntime().availableProcessors()));
        List<StoreBenchmark.Measurement> all = bench.run(warmup, rounds, m -> {
            BenchReport.Row f = BenchReport.to(out, dataset.json, "store").row(m.mode());
            f.put("mb_per_s", m.mbPerSecond());
            f.put("samples_per_s", m.samplesPerSecond());
            f.put("seconds", m.seconds());
            f.put("bytes", m.bytes());
            f.put("requests", m.requests());
            f.put("hedges", m.hedges());
            f.put("cpu_cores_busy", m.coresBusy());
            f.put("cpu_s_per_gb", m.cpuSecondsPerGb());
            StringBuilder roles = new StringBuilder();
            for (var e : m.cpuByRole().entrySet()) {
                double perGb = e.getValue() / (m.bytes() / 1e9);
                f.put("cpu_s_per_gb_" + e.getKey().replace('+', '_').replace('-', '_'), perGb);
                if (perGb >= 0.005) {
                    roles.append(roles.length() == 0 ? "" : ", ").append(e.getKey())
                            .append(String.format(Locale.ROOT, " %.2f", perGb));
                }
            }
            f.print(String.format(Locale.ROOT,
                    "%-7s %9.1f MB/s %10.0f samples/s %7.2f s   cpu %.2f cores, %.2f cpu-s/GB, %d hedges%s",
                    m.mode(), m.mbPerSecond(), m.samplesPerSecond(), m.seconds(), m.coresBusy(),
                    m.cpuSecondsPerGb(), m.hedges(), roles.length() == 0 ? "" : "\n          cpu-s/GB by thread: " + roles));
        });
        StoreBenchmark.Measurement raw = StoreBenchmark.median(all, "raw");
        StoreBenchmark.Measurement ld = StoreBenchmark.median(all, "loader");
        double ratio = ld.mbPerSecond() / raw.mbPerSecond();
        // each loader pass over the raw pass right before it: a slow spell of the machine (they last a
        // few seconds here) then spoils one pair, not the medians of both modes
        double[] paired = StoreBenchmark.paired(all, StoreBenchmark.Measurement::mbPerSecond);
        double pairedMedian = Medians.of(paired); // sorts: paired[0] and paired[rounds - 1] are the range
        double pairedCpuMedian = Medians.of(StoreBenchmark.paired(all, StoreBenchmark.Measurement::cpuSecondsPerGb));
        BenchReport.Row f = BenchReport.to(out, dataset.json, "store").row("summary");
        f.put("raw_mb_per_s", raw.mbPerSecond());
        f.put("loader_mb_per_s", ld.mbPerSecond());
        f.put("loader_samples_per_s", ld.samplesPerSecond());
        f.put("ratio", ratio);
        f.put("wait_ms_per_batch", ld.waitMsPerBatch());
        f.put("raw_cpu_s_per_gb", raw.cpuSecondsPerGb());
        f.put("loader_cpu_s_per_gb", ld.cpuSecondsPerGb());
        f.put("paired_ratio_median", pairedMedian);
        f.put("paired_ratio_min", paired[0]);
        f.put("paired_ratio_max", paired[rounds - 1]);
        f.put("paired_cpu_ratio_median", pairedCpuMedian);
        long hedges = all.stream().mapToLong(StoreBenchmark.Measurement::hedges).sum();
        f.put("hedges", hedges);
        f.put("retries", store.stats().retries());
        f.put("rounds", rounds);
        f.put("warmup_rounds", warmup);
        f.print(String.format(Locale.ROOT,
                "loader %.1f MB/s (%,.0f samples/s) vs raw parallel GET %.1f MB/s: ratio %.2f (medians of %d rounds);"
                        + " %d retries in the run, %d hedges in the measured passes; cpu-s/GB raw %.2f, loader %.2f%n"
                        + "paired (each loader pass over the raw pass before it): ratio median %.2f (range %.2f-%.2f),"
                        + " cpu-s/GB loader/raw median %.2f; goals: ratio >= 0.9, cpu within 10%%",
                ld.mbPerSecond(), ld.samplesPerSecond(), raw.mbPerSecond(), ratio, rounds, store.stats().retries(),
                hedges, raw.cpuSecondsPerGb(), ld.cpuSecondsPerGb(), pairedMedian,
                paired[0], paired[rounds - 1], pairedCpuMedian));
        return 0;
    }
}
