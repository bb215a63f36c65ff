package dev.sluice.engine.cli;

import dev.sluice.engine.bench.BenchReport;
import dev.sluice.engine.datasets.DefaultDataset;
import dev.sluice.data.format.Dataset;
import dev.sluice.data.loader.LoaderConfig;
import dev.sluice.data.store.ObjectStore;
import dev.sluice.engine.bench.LoaderBenchmark;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code train.jar bench}: measurements, each against a raw limit or a peer in the same run. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measure Sluice against the raw limit of the same hardware, in one run.",
            "Every benchmark prints a ratio; loader, shuffle, store, train, allreduce, h2d and ingest take --json for"
                    + " one JSON object per line."},
        subcommands = {BenchCommand.Loader.class, BenchShuffleCommand.class, BenchStoreCommand.class,
            BenchAllReduceCommand.class, BenchH2dCommand.class, BenchImagesCommand.class,
            BenchIngestCommand.class, BenchTrainCommand.class})
public final class BenchCommand implements Runnable {

    @Override
    public void run() {
        throw new UserException("choose a benchmark: train.jar bench loader|store|shuffle|allreduce|h2d|images|ingest|train (see --help)");
    }

    @Command(name = "loader", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Loader throughput vs. a raw sequential read of the same shards through the same store.",
                "Reports samples/s, MB/s, the loader/raw ratio and the mean wait per batch.",
                "Without --data, reads the Fashion-MNIST cache (imported if needed)."})
    static final class Loader implements Callable<Integer> {

        @Option(names = "--batch-size", defaultValue = "256", description = "Batch size (default: ${DEFAULT-VALUE}).")
        int batchSize;

        @Option(names = "--sequential", description = "Read in order instead of shuffled.")
        boolean sequential;

        @Option(names = "--rounds", defaultValue = "3",
                description = "Measured rounds of each pass, after a warm-up (default: ${DEFAULT-VALUE}).")
        int rounds;

    @Mixin
    DataOptionsMixin dataset;

        @Override
        public Integer call() throws Exception {
            PrintStream out = System.out;
            if (rounds < 1 || batchSize < 1) {
                throw new UserException("--rounds and --batch-size must be >= 1");
            }
            String loc = dataset.location(() -> DefaultDataset.ensure(out).toString());
            try (ObjectStore store = dataset.open(loc)) {
                Dataset ds = Dataset.open(store);
                LoaderConfig cfg = LoaderConfig.training(dataset.split, batchSize, 1).withShuffle(!sequential, 4)
                        .withIo(2, dataset.storeOptions().partBytes(), 4);
                LoaderBenchmark bench = new LoaderBenchmark(ds, cfg);
                List<LoaderBenchmark.Measurement> all = bench.run(rounds);
                for (LoaderBenchmark.Measurement m : all) {
                    BenchReport.Row f = BenchReport.to(out, dataset.json, "loader").row(m.mode());
                    f.put("mb_per_s", m.mbPerSecond());
                    f.put("samples_per_s", m.samplesPerSecond());
                    f.put("seconds", m.seconds());
                    f.put("bytes", m.bytes());
                    f.print(String.format(Locale.ROOT, "%-7s %9.1f MB/s %12.0f samples/s %7.3f s",
                            m.mode(), m.mbPerSecond(), m.samplesPerSecond(), m.seconds()));
                }
                LoaderBenchmark.Measurement raw = LoaderBenchmark.median(all, "raw");
                LoaderBenchmark.Measurement ld = LoaderBenchmark.median(all, "loader");
                double ratio = ld.mbPerSecond() / raw.mbPerSecond();
                BenchReport.Row f = BenchReport.to(out, dataset.json, "loader").row("summary");
                f.put("dataset", ds.manifest().name());
                f.put("location", store.location());
                f.put("split", dataset.split);
                f.put("shuffled", !sequential);
                f.put("raw_mb_per_s", raw.mbPerSecond());
                f.put("loader_mb_per_s", ld.mbPerSecond());
                f.put("loader_samples_per_s", ld.samplesPerSecond());
                f.put("ratio", ratio);
                f.put("wait_ms_per_batch", ld.waitMsPerBatch());
                f.print(String.format(Locale.ROOT,
                        "loader %.1f MB/s (%,.0f samples/s) vs raw %.1f MB/s: ratio %.2f; mean wait %.3f ms/batch"
                                + " (medians of %d rounds)",
                        ld.mbPerSecond(), ld.samplesPerSecond(), raw.mbPerSecond(), ratio, ld.waitMsPerBatch(),
                        rounds));
                return 0;
            }
        }
    }
}
