package dev.sluice.engine.cli;

import dev.sluice.data.format.Dataset;
import dev.sluice.data.store.ObjectStore;
import dev.sluice.engine.bench.BenchReport;
import dev.sluice.engine.bench.TrainBenchmark;
import dev.sluice.engine.datasets.DefaultDataset;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code train.jar bench train}: the trainer against a raw DJL loop over the same in-memory tensors. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"The trainer's own overhead: train (one CPU replica, plain SGD, no evaluation) against a raw"
                + " DJL loop over the same split decoded into memory, same model, initial parameters, batch and"
                + " PyTorch threads, alternating in one run after a warm-up pair.",
            "Reports samples/s of each and the trainer/raw ratio per round (goal: >= 0.95).",
            "Without --data, uses the Fashion-MNIST cache (imported if needed)."})
final class BenchTrainCommand implements Callable<Integer> {

    @Option(names = "--model", defaultValue = "mlp", description = "Model (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--batch-size", defaultValue = "256", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--lr", defaultValue = "0.1", description = "SGD learning rate (default: ${DEFAULT-VALUE}).")
    float lr;

    @Option(names = "--epochs", defaultValue = "3", description = "Epochs per pass (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--rounds", defaultValue = "3",
            description = "Measured pairs after the warm-up pair (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--seed", defaultValue = "42", description = "Initialisation seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    DataOptionsMixin dataset;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        if (rounds < 1) {
            throw new UserException("--rounds must be >= 1");
        }
        TrainBenchmark.Settings settings;
        try {
            settings = new TrainBenchmark.Settings(model, batchSize, lr, epochs, seed);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
        String loc = dataset.location(() -> DefaultDataset.ensure(out).toString());
        try (ObjectStore store = dataset.open(loc)) {
            Dataset ds = Dataset.open(store);
            TrainBenchmark bench = new TrainBenchmark(loc, ds, dataset.split, settings);
            BenchReport report = BenchReport.to(out, dataset.json, "train");
            report.note(String.format(Locale.ROOT, "%s, batch %d, SGD lr %s, %d epoch(s) per pass, %d PyTorch"
                    + " intra-op thread(s) on both sides; round 0 is the warm-up", model, batchSize, lr, epochs,
                    bench.intraOpThreads()));
            List<TrainBenchmark.Measurement> all = bench.run(rounds, m -> {
                BenchReport.Row f = report.row(m.mode());
                f.put("round", m.round());
                f.put("samples", m.samples());
                f.put("steps", m.steps());
                f.put("seconds", m.seconds());
                f.put("samples_per_s", m.samplesPerSecond());
                f.put("compute_ms_per_step", m.computeMsPerStep());
                f.put("feed_ms_per_step", m.feedMsPerStep());
                f.put("last_loss", m.lastLoss());
                f.print(String.format(Locale.ROOT,
                        "round %d %-7s %,9d samples %7.2f s %,9.0f samples/s  compute %.2f ms/step  feed %.2f ms/step",
                        m.round(), m.mode(), m.samples(), m.seconds(), m.samplesPerSecond(), m.computeMsPerStep(),
                        m.feedMsPerStep()));
                out.flush();
            });
            TrainBenchmark.Summary s = TrainBenchmark.summarize(all);
            BenchReport.Row f = report.row("summary");
            f.put("dataset", ds.manifest().name());
            f.put("split", dataset.split);
            f.put("model", model);
            f.put("batch_size", batchSize);
            f.put("intra_op_threads", bench.intraOpThreads());
            f.put("rounds", s.rounds());
            f.put("trainer_samples_per_s", s.trainerSamplesPerSecond());
            f.put("raw_samples_per_s", s.rawSamplesPerSecond());
            f.put("ratio", s.medianRatio());
            f.put("ratio_min", s.minRatio());
            f.put("ratio_max", s.maxRatio());
            f.put("meets_goal", s.medianRatio() >= 0.95);
            f.print(String.format(Locale.ROOT,
                    "trainer %,.0f samples/s vs raw DJL loop %,.0f samples/s: ratio %.2f (rounds %.2f-%.2f, median"
                            + " of %d; goal 0.95)", s.trainerSamplesPerSecond(), s.rawSamplesPerSecond(),
                    s.medianRatio(), s.minRatio(), s.maxRatio(), s.rounds()));
            return 0;
        }
    }
}
