package dev.sluice.engine.cli;

import dev.sluice.engine.bench.BenchReport;
import dev.sluice.engine.datasets.DefaultDataset;
import dev.sluice.data.format.Dataset;
import dev.sluice.data.loader.Loader;
import dev.sluice.data.loader.LoaderConfig;
import dev.sluice.data.store.ObjectStore;
import dev.sluice.engine.bench.ShuffleBenchmark;
import dev.sluice.engine.bench.ImageDatasetGenerator;
import dev.sluice.engine.bench.ShuffleQuality;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code train.jar bench shuffle}: shuffle quality, and shuffled vs. sequential streaming in one run. */
@Command(name = "shuffle", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Shuffled vs. sequential streaming through the same loader, store and memory, in one run, "
                + "and the quality of the shuffled order next to a uniform random permutation and stored order.",
            "Without --data, generates a synthetic dataset of 3x224x224 uint8 images in --workdir once.",
            "Quality: mean normalized displacement, Spearman rank correlation, adjacent pairs kept and distinct "
                + "shards per batch, averaged over the shuffled epochs. Speed: MB/s and samples/s of each pass "
                + "and the shuffled/sequential ratio of the medians (goal >= 0.9). See docs/BENCHMARKS.md."})
public final class BenchShuffleCommand implements Callable<Integer> {

    @Option(names = "--workdir", paramLabel = "DIR",
            description = "Where the generated dataset lives (default: $SLUICE_HOME/bench/shuffle-<samples>-<shard size>,"
                    + " SLUICE_HOME defaulting to ~/.cache/sluice).")
    Path workdir;

    @Option(names = "--samples", defaultValue = "2048",
            description = "Samples to generate, 147 KiB each (default: ${DEFAULT-VALUE}, about 308 MB).")
    long samples;

    @Option(names = "--shard-size", paramLabel = "SIZE", defaultValue = "16MB", converter = ByteSizeConverter.class,
            description = "Target shard size of the generated dataset (default: ${DEFAULT-VALUE}).")
    long shardSize;

    @Option(names = "--batch-size", defaultValue = "64", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--window", defaultValue = "4",
            description = "Shards open at once for the shuffle (default: ${DEFAULT-VALUE}).")
    int window;

    @Option(names = "--prefetch", defaultValue = "2", description = "Shards fetched ahead (default: ${DEFAULT-VALUE}).")
    int prefetch;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the order (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--rounds", defaultValue = "5",
            description = "Measured pairs of passes after a warm-up (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--epochs", defaultValue = "3",
            description = "Epochs streamed per measured pass, through one loader (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Mixin
    DataOptionsMixin dataset;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        if (rounds < 1 || epochs < 1 || window < 1 || prefetch < 0 || batchSize < 1) {
            throw new UserException("--rounds, --epochs, --window and --batch-size must be >= 1 and --prefetch >= 0");
        }
        String loc = dataset.data;
        if (loc == null) {
            Path dir = workdir != null ? workdir : defaultWorkdir();
            if (!dataset.json) {
                out.println("dataset: " + dir + " (synthetic; generated if absent)");
            }
            ImageDatasetGenerator gen = new ImageDatasetGenerator(Math.toIntExact(samples), 3, 224, 224, shardSize);
            long t0 = System.nanoTime();
            if (gen.ensure(dir, n -> { }) && !dataset.json) {
                out.printf(java.util.Locale.ROOT, "generated %,d samples in %s in %.1f s%n", samples, dir,
                        (System.nanoTime() - t0) / 1e9);
            }
            loc = dir.toString();
        }
        try (ObjectStore store = dataset.open(loc)) {
            Dataset ds = Dataset.open(store);
            LoaderConfig cfg = LoaderConfig.training(dataset.split, batchSize, seed).withShuffle(true, window)
                    .withIo(prefetch, dataset.storeOptions().partBytes(), 4);
            ShuffleBenchmark bench = new ShuffleBenchmark(ds, cfg);
            Loader.Memory mem = bench.memory();
            BenchReport.Row setup = BenchReport.to(out, dataset.json, "shuffle").row("setup");
            setup.put("location", store.location());
            setup.put("split", dataset.split);
            setup.put("samples", ds.manifest().split(dataset.split).samples());
            setup.put("shards", ds.manifest().split(dataset.split).shards().size());
            setup.put("bytes", ds.manifest().split(dataset.split).bytes());
            setup.put("batch_size", batchSize);
            setup.put("window", window);
            setup.put("prefetch", prefetch);
            setup.put("shuffle_buffer_samples", mem.shuffleSamples());
            setup.put("shuffle_buffer_bytes", mem.shuffleBytes());
            setup.put("shard_slab_bytes", mem.shardBytes());
            setup.put("batch_pool_bytes", mem.batchBytes());
            setup.print(String.format(Locale.ROOT,
                    "%s: %,d samples in %d shards (%,.0f MB); batch %d, window %d, prefetch %d%n"
                            + "memory bound: shuffle buffer <= %,d samples / %,.1f MB; shard slabs %,.1f MB;"
                            + " batch pool %,.1f MB",
                    store.location(), setup.fields().get("samples"), setup.fields().get("shards"), ds.manifest().split(dataset.split).bytes() / 1e6,
                    batchSize, window, prefetch, mem.shuffleSamples(), mem.shuffleBytes() / 1e6,
                    mem.shardBytes() / 1e6, mem.batchBytes() / 1e6));

            List<ShuffleBenchmark.Pass> all = bench.run(rounds, epochs);
            for (ShuffleBenchmark.Pass p : all) {
                BenchReport.Row f = BenchReport.to(out, dataset.json, "shuffle").row(p.mode());
                f.put("mb_per_s", p.mbPerSecond());
                f.put("samples_per_s", p.samplesPerSecond());
                f.put("seconds", p.seconds());
                f.put("samples", p.samples());
                f.put("epochs", p.orders().size());
                f.put("first_batch_ms", p.firstBatchMs());
                f.put("wait_ms_per_batch", p.waitMsPerBatch());
                f.print(String.format(Locale.ROOT,
                        "%-10s %9.1f MB/s %10.0f samples/s %7.3f s  first batch %6.1f ms  wait %.3f ms/batch",
                        p.mode(), p.mbPerSecond(), p.samplesPerSecond(), p.seconds(), p.firstBatchMs(),
                        p.waitMsPerBatch()));
            }

            ShuffleBenchmark.Pass seq = ShuffleBenchmark.median(all, "sequential");
            ShuffleBenchmark.Pass shuf = ShuffleBenchmark.median(all, "shuffled");
            ShuffleBenchmark.Quality quality = bench.quality(all, seed);
            if (!dataset.json) {
                out.printf(Locale.ROOT, "quality, mean of %d epochs:%n", quality.epochs());
                out.println("order        displacement  spearman  adjacent-kept  shards/batch");
            }
            for (Map.Entry<String, ShuffleQuality> e : quality.byOrder().entrySet()) {
                ShuffleQuality q = e.getValue();
                BenchReport.Row f = BenchReport.to(out, dataset.json, "shuffle").row("quality");
                f.put("order", e.getKey());
                f.put("samples", q.samples());
                f.put("epochs", quality.epochs());
                f.put("displacement", q.displacement());
                f.put("spearman", q.spearman());
                f.put("adjacent_kept", q.adjacentKept());
                f.put("shards_per_batch", q.shardsPerBatch());
                f.print(String.format(Locale.ROOT, "%-12s %12.4f %9.4f %14.4f %13.2f",
                        e.getKey(), q.displacement(), q.spearman(), q.adjacentKept(), q.shardsPerBatch()));
            }

            double ratio = shuf.mbPerSecond() / seq.mbPerSecond();
            BenchReport.Row f = BenchReport.to(out, dataset.json, "shuffle").row("summary");
            f.put("sequential_mb_per_s", seq.mbPerSecond());
            f.put("shuffled_mb_per_s", shuf.mbPerSecond());
            f.put("shuffled_samples_per_s", shuf.samplesPerSecond());
            f.put("ratio", ratio);
            f.put("goal", 0.9);
            f.put("sequential_first_batch_ms", seq.firstBatchMs());
            f.put("shuffled_first_batch_ms", shuf.firstBatchMs());
            f.put("rounds", rounds);
            f.put("epochs_per_pass", epochs);
            f.print(String.format(Locale.ROOT,
                    "shuffled %.1f MB/s (%,.0f samples/s) vs sequential %.1f MB/s: ratio %.3f (goal >= 0.9);"
                            + " first batch %.1f vs %.1f ms (medians of %d rounds of %d epochs)",
                    shuf.mbPerSecond(), shuf.samplesPerSecond(), seq.mbPerSecond(), ratio, shuf.firstBatchMs(),
                    seq.firstBatchMs(), rounds, epochs));
            return 0;
        }
    }

    private Path defaultWorkdir() {
        return DefaultDataset.home().resolve("bench").resolve("shuffle-" + samples + "-" + shardSize);
    }
}
