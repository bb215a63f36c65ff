package dev.sluice.engine.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.sluice.data.format.Dataset;
import dev.sluice.data.loader.EpochStream;
import dev.sluice.data.loader.Loader;
import dev.sluice.data.loader.LoaderConfig;
import dev.sluice.data.loader.LoaderMetrics;
import dev.sluice.data.loader.LoaderState;
import dev.sluice.data.memory.DirectAllocator;
import dev.sluice.data.store.ObjectStore;
import dev.sluice.data.store.Stores;
import dev.sluice.engine.device.DeviceBatch;
import dev.sluice.engine.device.FeedSpec;
import dev.sluice.engine.device.Feeder;
import dev.sluice.engine.device.HostFeeder;
import dev.sluice.engine.optim.AdamW;
import dev.sluice.engine.optim.GradClip;
import dev.sluice.engine.optim.LrSchedule;
import dev.sluice.engine.optim.Optimizer;
import dev.sluice.engine.optim.Sgd;
import dev.sluice.models.BuiltModel;
import dev.sluice.models.InputSpec;
import dev.sluice.models.ModelRegistry;
import java.io.PrintStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Runs a training job: opens the dataset, builds one replica per device, streams each replica its
 * share of every epoch through the loader, averages gradients, evaluates after each epoch and
 * reports progress, per-epoch summaries and metrics.
 */
public final class Trainer {

    private final TrainConfig cfg;
    private final Console console;

    /**
     * @param cfg the run's configuration
     * @param out where the progress and summaries are printed
     */
    public Trainer(TrainConfig cfg, PrintStream out) {
        this.cfg = cfg;
        this.console = new Console(out, cfg.progress(), cfg.json());
    }

    /** Trains and evaluates; the result holds the final evaluation accuracy. */
    public TrainResult run() throws Exception {
        long start = System.nanoTime();
        Files.createDirectories(cfg.runDir());
        console.line("Run directory: " + cfg.runDir().toAbsolutePath());
        try (ObjectStore store = Stores.open(cfg.data(), cfg.store());
             MetricsLog metrics = new MetricsLog(cfg.runDir().resolve("metrics.jsonl"))) {
            Dataset ds = Dataset.open(store);
            FeedSpec feed = FeedSpec.from(ds.manifest());
            InputSpec input = InputSpec.image(feed.imageField(), feed.channels(), feed.height(), feed.width());
            Engine.getInstance().setRandomSeed(Long.hashCode(cfg.seed()));
            BuiltModel model = ModelRegistry.builtIn().create(cfg.model(), input, feed.numClasses());
            int world = 1;
            Device device = Device.cpu();
            console.line(String.format(Locale.ROOT, "Training %s on %s (%s, %,d samples) with %d replica(s) on %s",
                    cfg.model(), ds.manifest().name(), cfg.trainSplit(), ds.manifest().split(cfg.trainSplit()).samples(),
                    world, device));
            try (Replica replica = new Replica(0, device, model)) {
                Optimizer opt = cfg.optimizer().equals("sgd")
                        ? new Sgd(cfg.momentum(), cfg.nesterov(), cfg.weightDecay())
                        : AdamW.withWeightDecay(cfg.weightDecay());
                LoaderConfig lc = LoaderConfig.training(cfg.trainSplit(), cfg.batchSize(), cfg.seed())
                        .withRank(0, world)
                        .withShuffle(true, cfg.shuffleWindow())
                        .withIo(cfg.prefetch(), cfg.store().partBytes(), 4)
                        .withFields(List.of(feed.imageField(), feed.labelField()));
                try (Loader loader = new Loader(ds, lc, new DirectAllocator())) {
                    long perEpoch = loader.batchesPerEpoch();
                    if (perEpoch == 0) {
                        throw new IllegalArgumentException("split '" + cfg.trainSplit() + "' has fewer samples ("
                                + loader.split().samples() + ") than one batch of " + cfg.batchSize()
                                + " per replica; lower --batch-size");
                    }
                    long totalSteps = cfg.maxSteps() > 0 ? Math.min(cfg.maxSteps(), perEpoch * cfg.epochs())
                            : perEpoch * cfg.epochs();
                    LrSchedule schedule = new LrSchedule(cfg.lr(), cfg.warmupSteps(), totalSteps, cfg.cosine(), 0f);
                    metrics.event("start").put("model", cfg.model()).put("dataset", ds.manifest().name())
                            .put("data", cfg.data()).put("replicas", world).put("batch_size", cfg.batchSize())
                            .put("optimizer", opt.describe()).put("lr", cfg.lr()).put("epochs", cfg.epochs())
                            .put("steps_per_epoch", perEpoch).put("seed", cfg.seed()).write();
                    List<EpochSummary> summaries = new ArrayList<>();
                    long step = 0;
                    Evaluation last = null;
                    for (int e = 0; e < cfg.epochs() && step < totalSteps; e++) {
                        EpochRun er = runEpoch(e, replica, loader, feed, opt, schedule, step, totalSteps, perEpoch,
                                metrics);
                        step = er.stepAfter;
                        last = cfg.evalSplit() == null ? null : evaluate(ds, replica, feed);
                        EpochSummary s = er.summary(last);
                        summaries.add(s);
                        report(s, metrics);
                    }
                    double secs = (System.nanoTime() - start) / 1e9;
                    TrainResult result = new TrainResult(summaries, last == null ? Double.NaN : last.accuracy(),
                            last == null ? 0 : last.correct, last == null ? 0 : last.samples, step, secs,
                            cfg.runDir());
                    finish(result, metrics);
                    return result;
                }
            }
        }
    }

    private final class EpochRun {
        final int epoch;
        long steps;
        long stepAfter;
        double lossSum;
        long correct;
        long samples;
        long waitNs;
        long copyNs;
        long computeNs;
        long reduceNs;
        long wallNs;

        EpochRun(int epoch) {
            this.epoch = epoch;
        }

        EpochSummary summary(Evaluation eval) {
            double n = Math.max(1, steps);
            StepTiming t = new StepTiming(waitNs / n / 1e6, copyNs / n / 1e6, computeNs / n / 1e6, reduceNs / n / 1e6);
            double total = t.totalMs();
            return new EpochSummary(epoch + 1, steps, lossSum / n, samples == 0 ? 0 : (double) correct / samples,
                    eval == null ? Double.NaN : eval.loss(), eval == null ? Double.NaN : eval.accuracy(),
                    wallNs / 1e9, samples / Math.max(wallNs / 1e9, 1e-9),
                    total == 0 ? 0 : t.dataWaitMs() / total, t);
        }
    }

    private EpochRun runEpoch(int epoch, Replica replica, Loader loader, FeedSpec feed, Optimizer opt,
                              LrSchedule schedule, long step, long totalSteps, long perEpoch, MetricsLog metrics)
            throws Exception {
        EpochRun run = new EpochRun(epoch);
        long steps = Math.min(perEpoch, totalSteps - step);
        LoaderMetrics.Snapshot before = loader.metrics().snapshot();
        long t0 = System.nanoTime();
        try (Console.Progress progress = console.epoch(epoch + 1, cfg.epochs(), steps, cfg.batchSize());
             EpochStream stream = loader.open(LoaderState.start(cfg.seed(), epoch));
             Feeder feeder = new HostFeeder(stream, replica.manager(), feed, 0, 1)) {
            while (run.steps < steps) {
                DeviceBatch batch = feeder.next();
                if (batch == null) {
                    break;
                }
                try (batch) {
                    long b = System.nanoTime();
                    Replica.StepOutput out = replica.forwardBackward(batch);
                    step++;
                    if (!Float.isFinite(out.loss())) {
                        throw new TrainingDivergedException(step, "loss is " + out.loss() + " at step " + step
                                + " (epoch " + (epoch + 1) + "); lower --lr or set --clip-norm");
                    }
                    if (cfg.clipNorm() > 0) {
                        GradClip.clip(replica.params(), cfg.clipNorm());
                    }
                    float lr = schedule.at(step - 1);
                    opt.step(replica.params(), lr);
                    replica.zeroGradients();
                    long c = System.nanoTime();
                    run.steps++;
                    run.lossSum += out.loss();
                    run.correct += out.correct();
                    run.samples += batch.size();
                    run.waitNs += batch.dataWaitNanos();
                    run.copyNs += batch.copyNanos();
                    run.computeNs += c - b;
                    progress.step(out.loss());
                    if (run.steps % 50 == 0 || run.steps == steps) {
                        metrics.event("step").put("epoch", epoch + 1).put("step", step).put("loss", out.loss())
                                .put("lr", lr).put("samples_per_s", run.samples / ((c - t0) / 1e9)).write();
                    }
                }
            }
        }
        run.wallNs = System.nanoTime() - t0;
        run.stepAfter = step;
        LoaderMetrics.Snapshot io = loader.metrics().snapshot().minus(before);
        metrics.event("loader").put("epoch", epoch + 1).put("bytes_read", io.bytesRead())
                .put("requests", io.requests()).put("shards", io.shards())
                .put("data_wait_s", io.waitNanos() / 1e9).write();
        return run;
    }

    /** Accuracy and loss on the evaluation split. */
    record Evaluation(double loss, long correct, long samples) {
        double accuracy() {
            return samples == 0 ? Double.NaN : (double) correct / samples;
        }
    }

    private Evaluation evaluate(Dataset ds, Replica replica, FeedSpec feed) throws Exception {
        LoaderConfig lc = LoaderConfig.evaluation(cfg.evalSplit(), Math.max(256, cfg.batchSize()))
                .withFields(List.of(feed.imageField(), feed.labelField()))
                .withIo(cfg.prefetch(), cfg.store().partBytes(), 4);
        double loss = 0;
        long correct = 0;
        long n = 0;
        try (Loader loader = new Loader(ds, lc, new DirectAllocator());
             EpochStream stream = loader.open(LoaderState.start(0, 0));
             Feeder feeder = new HostFeeder(stream, replica.manager(), feed, 0, 1)) {
            for (DeviceBatch b = feeder.next(); b != null; b = feeder.next()) {
                try (DeviceBatch batch = b) {
                    Replica.StepOutput out = replica.evaluate(batch);
                    loss += out.loss();
                    correct += out.correct();
                    n += batch.size();
                }
            }
        }
        return new Evaluation(n == 0 ? Double.NaN : loss / n, correct, n);
    }

    private void report(EpochSummary s, MetricsLog metrics) throws java.io.IOException {
        String evalPart = Double.isNaN(s.evalAccuracy()) ? ""
                : String.format(Locale.ROOT, " | %s loss %.4f acc %.4f", cfg.evalSplit(), s.evalLoss(), s.evalAccuracy());
        console.line(String.format(Locale.ROOT,
                "epoch %d/%d: train loss %.4f acc %.4f%s | %.1f s, %,.0f samples/s, data wait %.1f%%",
                s.epoch(), cfg.epochs(), s.trainLoss(), s.trainAccuracy(), evalPart, s.seconds(),
                s.samplesPerSecond(), s.dataWaitFraction() * 100));
        MetricsLog.Event ev = metrics.event("epoch").put("epoch", s.epoch()).put("steps", s.steps())
                .put("train_loss", s.trainLoss()).put("train_accuracy", s.trainAccuracy())
                .put("eval_loss", s.evalLoss()).put("eval_accuracy", s.evalAccuracy())
                .put("seconds", s.seconds()).put("samples_per_s", s.samplesPerSecond())
                .put("data_wait_fraction", s.dataWaitFraction())
                .put("data_wait_ms", s.timing().dataWaitMs()).put("h2d_ms", s.timing().hostToDeviceMs())
                .put("compute_ms", s.timing().computeMs()).put("allreduce_ms", s.timing().allReduceMs());
        ev.write();
        console.json(MetricsLog.json(ev.fields()));
        metrics.flush();
    }

    private void finish(TrainResult r, MetricsLog metrics) throws java.io.IOException {
        MetricsLog.Event ev = metrics.event("summary").put("test_accuracy", r.evalAccuracy())
                .put("eval_split", cfg.evalSplit()).put("eval_correct", r.evalCorrect())
                .put("eval_samples", r.evalSamples()).put("epochs", r.epochs().size()).put("steps", r.steps())
                .put("seconds", r.seconds()).put("run_dir", r.runDir().toAbsolutePath().toString());
        ev.write();
        metrics.flush();
        if (Double.isNaN(r.evalAccuracy())) {
            console.line(String.format(Locale.ROOT, "done: %d steps in %.1f s (no evaluation split)", r.steps(),
                    r.seconds()));
        } else {
            console.line(String.format(Locale.ROOT, "test accuracy %.4f (%d/%d %s samples) after %d epoch(s), %.1f s",
                    r.evalAccuracy(), r.evalCorrect(), r.evalSamples(), cfg.evalSplit(), r.epochs().size(),
                    r.seconds()));
        }
        console.json(MetricsLog.json(ev.fields()));
    }
}
