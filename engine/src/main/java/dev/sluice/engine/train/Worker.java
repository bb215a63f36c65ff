package dev.sluice.engine.train;

import dev.sluice.data.format.Dataset;
import dev.sluice.data.loader.EpochStream;
import dev.sluice.data.loader.Loader;
import dev.sluice.data.loader.LoaderConfig;
import dev.sluice.data.loader.LoaderMetrics;
import dev.sluice.data.loader.LoaderState;
import dev.sluice.data.loader.Remainder;
import dev.sluice.data.memory.DirectAllocator;
import dev.sluice.engine.device.DeviceBatch;
import dev.sluice.engine.device.FeedSpec;
import dev.sluice.engine.device.Feeder;
import dev.sluice.engine.device.HostFeeder;
import dev.sluice.engine.optim.GradClip;
import dev.sluice.engine.optim.LrSchedule;
import dev.sluice.engine.optim.Optimizer;
import dev.sluice.engine.optim.Param;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one replica through the whole job: each epoch it streams its share of the training split,
 * does forward and backward, averages gradients with the other replicas, updates, and joins the
 * partitioned evaluation. Replicas step in lockstep; the collective calls are the meeting points.
 */
final class Worker {

    /** What the chief (global rank 0) does at each epoch end: report, log, checkpoint. */
    interface EpochListener {
        void epochEnded(EpochSummary summary, Evaluation eval) throws Exception;
    }

    /** Accuracy and loss on the evaluation split, over all ranks. */
    record Evaluation(double loss, long correct, long samples) {
        double accuracy() {
            return samples == 0 ? Double.NaN : (double) correct / samples;
        }
    }

    private final TrainConfig cfg;
    private final Dataset dataset;
    private final FeedSpec feed;
    private final Replica replica;
    private final GradientSync sync;
    private final Optimizer optimizer;
    private final int world;
    private final Console console;
    private final MetricsLog metrics;
    private final EpochListener listener;
    private long step;
    private Evaluation lastEval;

    Worker(TrainConfig cfg, Dataset dataset, FeedSpec feed, Replica replica, GradientSync sync, Optimizer optimizer,
           int world, Console console, MetricsLog metrics, EpochListener listener) {
        this.cfg = cfg;
        this.dataset = dataset;
        this.feed = feed;
        this.replica = replica;
        this.sync = sync;
        this.optimizer = optimizer;
        this.world = world;
        this.console = console;
        this.metrics = metrics;
        this.listener = listener;
    }

    boolean chief() {
        return replica.rank() == 0;
    }

    long steps() {
        return step;
    }

    Evaluation lastEvaluation() {
        return lastEval;
    }

    LoaderConfig trainLoader() {
        return LoaderConfig.training(cfg.trainSplit(), cfg.batchSize(), cfg.seed())
                .withRank(replica.rank(), world)
                .withShuffle(true, cfg.shuffleWindow())
                .withIo(cfg.prefetch(), cfg.store().partBytes(), 4)
                .withFields(List.of(feed.imageField(), feed.labelField()));
    }

    /** Runs every epoch; returns the per-epoch summaries (identical on every rank). */
    List<EpochSummary> run() throws Exception {
        // identical replicas: rank 0's initial parameters and buffers everywhere
        List<Param> all = new ArrayList<>(replica.params());
        all.addAll(replica.buffers());
        sync.broadcast(all);
        List<EpochSummary> out = new ArrayList<>();
        try (Loader loader = new Loader(dataset, trainLoader(), new DirectAllocator())) {
            long perEpoch = loader.batchesPerEpoch();
            if (perEpoch == 0) {
                throw new IllegalArgumentException("split '" + cfg.trainSplit() + "' has " + loader.split().samples()
                        + " samples, fewer than one batch of " + cfg.batchSize() + " for each of " + world
                        + " replica(s); lower --batch-size");
            }
            long total = cfg.maxSteps() > 0 ? Math.min(cfg.maxSteps(), perEpoch * cfg.epochs())
                    : perEpoch * cfg.epochs();
            LrSchedule schedule = new LrSchedule(cfg.lr(), cfg.warmupSteps(), total, cfg.cosine(), 0f);
            for (int e = 0; e < cfg.epochs() && step < total; e++) {
                EpochSummary s = epoch(e, loader, Math.min(perEpoch, total - step), schedule);
                // batch-norm statistics are not gradients: keep rank 0's so evaluation sees one model
                sync.broadcast(replica.buffers());
                lastEval = cfg.evalSplit() == null ? null : evaluate();
                s = withEval(s, lastEval);
                out.add(s);
                if (chief()) {
                    listener.epochEnded(s, lastEval);
                }
            }
        }
        return out;
    }

    private EpochSummary epoch(int epoch, Loader loader, long steps, LrSchedule schedule) throws Exception {
        double lossSum = 0;
        long correct = 0;
        long samples = 0;
        long waitNs = 0;
        long copyNs = 0;
        long computeNs = 0;
        long reduceNs = 0;
        long done = 0;
        LoaderMetrics.Snapshot before = loader.metrics().snapshot();
        long t0 = System.nanoTime();
        try (Console.Progress bar = console.epoch(epoch + 1, cfg.epochs(), steps, cfg.batchSize() * world);
             EpochStream stream = loader.open(LoaderState.start(cfg.seed(), epoch));
             Feeder feeder = new HostFeeder(stream, replica.manager(), feed, 0, 1)) {
            while (done < steps) {
                DeviceBatch batch = feeder.next();
                if (batch == null) {
                    break;
                }
                try (batch) {
                    long a = System.nanoTime();
                    Replica.StepOutput out = replica.forwardBackward(batch);
                    step++;
                    if (!Float.isFinite(out.loss())) {
                        throw new TrainingDivergedException(step, "loss is " + out.loss() + " at step " + step
                                + " (epoch " + (epoch + 1) + ", rank " + replica.rank()
                                + "); lower --lr or set --clip-norm");
                    }
                    long r = sync.average(replica.params());
                    if (cfg.clipNorm() > 0) {
                        GradClip.clip(replica.params(), cfg.clipNorm());
                    }
                    float lr = schedule.at(step - 1);
                    optimizer.step(replica.params(), lr);
                    replica.zeroGradients();
                    long c = System.nanoTime();
                    done++;
                    lossSum += out.loss();
                    correct += out.correct();
                    samples += batch.size();
                    waitNs += batch.dataWaitNanos();
                    copyNs += batch.copyNanos();
                    computeNs += c - a - r;
                    reduceNs += r;
                    bar.step(out.loss());
                    if (chief() && (done % 50 == 0 || done == steps)) {
                        metrics.event("step").put("epoch", epoch + 1).put("step", step).put("loss", out.loss())
                                .put("lr", lr).put("samples_per_s", samples * world / ((c - t0) / 1e9)).write();
                    }
                }
            }
        }
        long wall = System.nanoTime() - t0;
        LoaderMetrics.Snapshot io = loader.metrics().snapshot().minus(before);
        double[] avg = sync.averageScalars(new double[] {lossSum / Math.max(1, done), correct, samples});
        double n = Math.max(1, done);
        StepTiming t = new StepTiming(waitNs / n / 1e6, copyNs / n / 1e6, computeNs / n / 1e6, reduceNs / n / 1e6);
        double stepMs = t.totalMs();
        double allSamples = avg[2] * world;
        if (chief()) {
            metrics.event("loader").put("epoch", epoch + 1).put("bytes_read", io.bytesRead())
                    .put("requests", io.requests()).put("shards", io.shards()).put("cache_hit_rate", io.cacheHitRate())
                    .put("data_wait_s", io.waitNanos() / 1e9).write();
        }
        return new EpochSummary(epoch + 1, done, avg[0], allSamples == 0 ? 0 : avg[1] * world / allSamples,
                Double.NaN, Double.NaN, wall / 1e9, allSamples / (wall / 1e9),
                stepMs == 0 ? 0 : t.dataWaitMs() / stepMs, t);
    }

    private static EpochSummary withEval(EpochSummary s, Evaluation e) {
        if (e == null) {
            return s;
        }
        return new EpochSummary(s.epoch(), s.steps(), s.trainLoss(), s.trainAccuracy(), e.loss(), e.accuracy(),
                s.seconds(), s.samplesPerSecond(), s.dataWaitFraction(), s.timing());
    }

    /** Each rank evaluates its own part of the evaluation split; the sums are combined. */
    Evaluation evaluate() throws Exception {
        LoaderConfig lc = LoaderConfig.evaluation(cfg.evalSplit(), Math.max(256, cfg.batchSize()))
                .withRank(replica.rank(), world).withRemainder(Remainder.UNEVEN)
                .withFields(List.of(feed.imageField(), feed.labelField()))
                .withIo(cfg.prefetch(), cfg.store().partBytes(), 4);
        double loss = 0;
        long correct = 0;
        long n = 0;
        try (Loader loader = new Loader(dataset, lc, new DirectAllocator());
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
        double[] sum = sync.averageScalars(new double[] {loss, correct, n});
        long samples = Math.round(sum[2] * world);
        return new Evaluation(samples == 0 ? Double.NaN : sum[0] * world / samples, Math.round(sum[1] * world),
                samples);
    }
}
