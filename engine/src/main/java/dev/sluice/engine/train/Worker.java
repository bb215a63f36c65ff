package dev.sluice.engine.train;

import dev.sluice.data.format.Dataset;
import dev.sluice.data.loader.EpochStream;
import dev.sluice.data.loader.Loader;
import dev.sluice.data.loader.LoaderConfig;
import dev.sluice.data.loader.LoaderMetrics;
import dev.sluice.data.loader.LoaderState;
import dev.sluice.data.loader.Remainder;
import dev.sluice.data.loader.ShardCache;
import dev.sluice.engine.checkpoint.Checkpoint;
import dev.sluice.engine.checkpoint.Checkpoints;
import dev.sluice.engine.device.ComputeDevice;
import dev.sluice.engine.device.DeviceBatch;
import dev.sluice.engine.device.FeedSpec;
import dev.sluice.engine.device.Feeder;
import dev.sluice.engine.optim.GradClip;
import dev.sluice.engine.optim.LrSchedule;
import dev.sluice.engine.optim.Optimizer;
import dev.sluice.engine.optim.Param;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs one replica through the whole job: each epoch it streams its share of the training split,
 * does forward and backward, agrees with the other replicas on the loss (NaN policy) and on a stop
 * request, averages gradients, updates, and joins the partitioned evaluation. Replicas step in
 * lockstep; the collective calls are the meeting points. The chief (global rank 0) reports and
 * writes checkpoints.
 */
final class Worker {

    /** What the chief does at each epoch end: report and log. */
    interface EpochListener {
        void epochEnded(EpochSummary summary) throws Exception;
    }

    /** Accuracy and loss on the evaluation split, over all ranks. */
    record Evaluation(double loss, long correct, long samples) {
        double accuracy() {
            return samples == 0 ? Double.NaN : (double) correct / samples;
        }
    }

    /** Everything a worker needs besides its replica. */
    record Context(TrainConfig cfg, Dataset dataset, FeedSpec feed, int world, MetricsLog metrics,
                   Checkpoints checkpoints, Map<String, String> resumeKey, Checkpoint resumeFrom, StopSignal stop,
                   EpochListener listener, ShardCache cache) {}

    private final Context ctx;
    private final TrainConfig cfg;
    private final Replica replica;
    private final ComputeDevice device;
    private final GradientSync sync;
    private final Optimizer optimizer;
    private final Console console;
    private long step;
    private long skipped;
    private Evaluation lastEval;
    private String lastCheckpoint;
    private boolean stopped;
    private LoaderMetrics.Snapshot ioMark;
    private boolean epochComplete;

    Worker(Context ctx, Replica replica, ComputeDevice device, GradientSync sync, Optimizer optimizer,
           Console console) {
        this.ctx = ctx;
        this.cfg = ctx.cfg();
        this.replica = replica;
        this.device = device;
        this.sync = sync;
        this.optimizer = optimizer;
        this.console = console;
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

    /** Location of the last checkpoint this worker wrote or resumed from, or null. */
    String lastCheckpoint() {
        return lastCheckpoint;
    }

    /** Whether the run ended early on a stop request. */
    boolean stopped() {
        return stopped;
    }

    long skippedBatches() {
        return skipped;
    }

    LoaderConfig trainLoader() {
        return LoaderConfig.training(cfg.trainSplit(), cfg.batchSize(), cfg.seed())
                .withRank(replica.rank(), ctx.world())
                .withShuffle(true, cfg.shuffleWindow())
                .withRemainder(cfg.remainder())
                .withIo(cfg.prefetch(), cfg.store().partBytes(), 4)
                .withFields(List.of(ctx.feed().imageField(), ctx.feed().labelField()));
    }

    /** Runs the remaining epochs; returns the per-epoch summaries (identical on every rank). */
    List<EpochSummary> run() throws Exception {
        long startEpoch = 0;
        LoaderState state = LoaderState.start(cfg.seed(), 0);
        Checkpoint cp = ctx.resumeFrom();
        if (cp != null) {
            replica.importTensors(cp, optimizer, ctx.checkpoints().where(cp.step()));
            step = cp.step();
            startEpoch = cp.epoch();
            state = LoaderState.fromJson(cp.loaderState());
            lastCheckpoint = ctx.checkpoints().where(cp.step());
        }
        // identical replicas: rank 0's parameters and buffers everywhere
        List<Param> all = new ArrayList<>(replica.params());
        all.addAll(replica.buffers());
        sync.broadcast(all);
        List<EpochSummary> out = new ArrayList<>();
        try (Loader loader = new Loader(ctx.dataset(), trainLoader(), device.hostAllocator(), null, ctx.cache());
             Loader evalLoader = cfg.evalSplit() == null ? null : new Loader(ctx.dataset(), evalLoaderConfig(),
                     device.hostAllocator(), null, ctx.cache())) {
            long perEpoch = loader.batchesPerEpoch();
            if (perEpoch == 0) {
                throw new IllegalArgumentException("split '" + cfg.trainSplit() + "' has " + loader.split().samples()
                        + " samples, fewer than one batch of " + cfg.batchSize() + " for each of " + ctx.world()
                        + " replica(s); lower --batch-size");
            }
            long total = cfg.maxSteps() > 0 ? Math.min(cfg.maxSteps(), perEpoch * cfg.epochs())
                    : perEpoch * cfg.epochs();
            LrSchedule schedule = new LrSchedule(cfg.lr(), cfg.warmupSteps(), total, cfg.cosine(), 0f);
            for (long e = startEpoch; e < cfg.epochs() && step < total && !stopped; e++) {
                EpochSummary s = epoch((int) e, loader, state, total, schedule);
                state = LoaderState.start(cfg.seed(), e + 1);
                // batch-norm statistics are not gradients: keep rank 0's so evaluation sees one model
                sync.broadcast(replica.buffers());
                if (!stopped) {
                    if (epochComplete) {
                        checkpoint(e + 1, state);
                    }
                    lastEval = evalLoader == null ? null : evaluate(evalLoader);
                    // an epoch cut short by a stop is not evaluated: it keeps NaN, not the previous epoch's
                    s = withEval(s, lastEval);
                }
                out.add(s);
                if (chief() && !stopped) {
                    ctx.listener().epochEnded(s);
                }
            }
        }
        return out;
    }

    private EpochSummary epoch(int epoch, Loader loader, LoaderState state, long total, LrSchedule schedule)
            throws Exception {
        double lossSum = 0;
        long correct = 0;
        long samples = 0;
        long waitNs = 0;
        long copyNs = 0;
        long computeNs = 0;
        long reduceNs = 0;
        long done = 0;
        long finiteSteps = 0;
        int world = ctx.world();
        // measured from the previous epoch's end, not this one's start: shards of this epoch fetched
        // while the previous one ended (or during its evaluation) belong to one epoch or the other
        LoaderMetrics.Snapshot before = ioMark != null ? ioMark : loader.metrics().snapshot();
        long t0 = System.nanoTime();
        // the next epoch's first shards are fetched while this one ends, unless the run ends here
        boolean more = epoch + 1 < cfg.epochs() && step + loader.batchesPerEpoch() < total;
        try (EpochStream stream = loader.open(state, more ? LoaderState.start(cfg.seed(), epoch + 1) : null);
             Console.Progress bar = console.epoch(epoch + 1, cfg.epochs(),
                     Math.min(stream.plannedSamples() / cfg.batchSize(), total - step), cfg.batchSize() * world);
             Feeder feeder = device.feeder(stream, replica.manager(), ctx.feed(), ctx.feed().transform())) {
            while (step < total) {
                DeviceBatch batch = feeder.next();
                if (batch == null) {
                    break;
                }
                try (batch) {
                    long a = System.nanoTime();
                    Replica.StepOutput out = replica.forwardBackward(batch);
                    step++;
                    long r0 = System.nanoTime();
                    // every replica must take the same decision: agree on the loss and on a stop request
                    double[] agreed = world == 1 ? new double[] {out.loss(), ctx.stop().requested() ? 1 : 0}
                            : sync.averageScalars(new double[] {out.loss(), ctx.stop().requested() ? 1 : 0});
                    long r = System.nanoTime() - r0;
                    boolean finite = Double.isFinite(agreed[0]);
                    if (!finite && !cfg.skipNonFinite()) {
                        throw new TrainingDivergedException(step, "loss is " + agreed[0] + " at step " + step
                                + " (epoch " + (epoch + 1) + "); last good checkpoint: "
                                + (lastCheckpoint == null ? "none" : lastCheckpoint)
                                + ". Lower --lr, set --clip-norm, or pass --on-nan skip");
                    }
                    float lr = schedule.at(step - 1);
                    if (finite) {
                        r += sync.average(replica.params());
                        if (cfg.clipNorm() > 0) {
                            GradClip.clip(replica.params(), cfg.clipNorm());
                        }
                        optimizer.step(replica.params(), lr);
                    } else {
                        skipped++;
                        if (chief()) {
                            ctx.metrics().event("skipped").put("step", step).put("loss", agreed[0]).write();
                        }
                    }
                    replica.zeroGradients();
                    long c = System.nanoTime();
                    done++;
                    if (finite) {
                        lossSum += out.loss();
                        finiteSteps++;
                    }
                    correct += out.correct();
                    samples += batch.size();
                    waitNs += batch.dataWaitNanos();
                    copyNs += batch.copyNanos() + batch.transformNanos();
                    computeNs += c - a - r;
                    reduceNs += r;
                    bar.step(out.loss());
                    if (chief() && (step % cfg.logEvery() == 0 || step == total)) {
                        ctx.metrics().event("step").put("epoch", epoch + 1).put("step", step)
                                .put("loss", (double) out.loss()).put("lr", lr)
                                .put("samples_per_s", samples * world / ((c - t0) / 1e9)).write();
                    }
                    boolean stopNow = agreed[1] > 0;
                    if (stopNow || (cfg.checkpointEvery() > 0 && step % cfg.checkpointEvery() == 0)) {
                        checkpoint(epoch, stream.state());
                    }
                    if (stopNow) {
                        stopped = true;
                        break;
                    }
                }
            }
            // training drops a final partial batch, so the epoch holds plannedSamples / batch steps
            epochComplete = !stopped && done >= stream.plannedSamples() / cfg.batchSize();
            if (!epochComplete && !stopped && (cfg.checkpointEvery() == 0 || step % cfg.checkpointEvery() != 0)) {
                // the step limit ended the run inside the epoch: its last checkpoint holds the position
                // in this epoch, not the start of the next
                checkpoint(epoch, stream.state());
            }
        }
        long wall = System.nanoTime() - t0;
        ioMark = loader.metrics().snapshot();
        EpochIo io = EpochIo.of(ioMark.minus(before));
        // no finite step (resumed after the epoch's last batch, or every batch skipped for NaN):
        // the training loss is unknown, not 0
        double meanLoss = finiteSteps == 0 ? Double.NaN : lossSum / finiteSteps;
        double[] avg = world == 1 ? new double[] {meanLoss, correct, samples}
                : sync.averageScalars(new double[] {meanLoss, correct, samples});
        double n = Math.max(1, done);
        StepTiming t = new StepTiming(waitNs / n / 1e6, copyNs / n / 1e6, computeNs / n / 1e6, reduceNs / n / 1e6);
        double stepMs = t.totalMs();
        double allSamples = avg[2] * world;
        if (chief()) {
            ctx.metrics().event("loader").put("epoch", epoch + 1).put("bytes_read", io.bytesRead())
                    .put("requests", io.requests()).put("retries", io.retries()).put("shards", io.shardLoads())
                    .put("cache_hits", io.cacheHits()).put("cache_hit_rate", io.cacheHitRate())
                    .put("data_wait_s", io.dataWaitSeconds()).write();
        }
        return new EpochSummary(epoch + 1, done, avg[0], allSamples == 0 ? Double.NaN : avg[1] * world / allSamples,
                Double.NaN, Double.NaN, wall / 1e9, allSamples / (wall / 1e9),
                stepMs == 0 ? 0 : t.dataWaitMs() / stepMs, t, io);
    }

    /** The chief saves; the others go on and wait at the next collective call. */
    private void checkpoint(long epoch, LoaderState state) throws Exception {
        if (!chief() || ctx.checkpoints() == null) {
            return;
        }
        Checkpoint cp = new Checkpoint(step, epoch, state.toJson(), optimizer.steps(), ctx.resumeKey(),
                replica.exportTensors(optimizer));
        lastCheckpoint = ctx.checkpoints().save(cp);
        ctx.metrics().event("checkpoint").put("step", step).put("epochs_done", epoch).put("location", lastCheckpoint)
                .write();
        ctx.metrics().flush();
        console.status("checkpoint at step " + step + ": " + lastCheckpoint);
    }

    private static EpochSummary withEval(EpochSummary s, Evaluation e) {
        if (e == null) {
            return s;
        }
        return new EpochSummary(s.epoch(), s.steps(), s.trainLoss(), s.trainAccuracy(), e.loss(), e.accuracy(),
                s.seconds(), s.samplesPerSecond(), s.dataWaitFraction(), s.timing(), s.io());
    }

    /** Each rank evaluates its own part of the split, in stored order, every sample once. */
    private LoaderConfig evalLoaderConfig() {
        return LoaderConfig.evaluation(cfg.evalSplit(), Math.max(256, cfg.batchSize()))
                .withRank(replica.rank(), ctx.world()).withRemainder(Remainder.UNEVEN)
                .withFields(List.of(ctx.feed().imageField(), ctx.feed().labelField()))
                .withIo(cfg.prefetch(), cfg.store().partBytes(), 4);
    }

    /**
     * Each rank evaluates its own part of the evaluation split through the run's evaluation loader
     * (its buffers are allocated once per run); the sums are combined.
     */
    Evaluation evaluate(Loader loader) throws Exception {
        int world = ctx.world();
        double loss = 0;
        long correct = 0;
        long n = 0;
        try (EpochStream stream = loader.open(LoaderState.start(0, 0));
             Feeder feeder = device.feeder(stream, replica.manager(), ctx.feed(), ctx.feed().transform())) {
            for (DeviceBatch b = feeder.next(); b != null; b = feeder.next()) {
                try (DeviceBatch batch = b) {
                    Replica.StepOutput out = replica.evaluate(batch);
                    loss += out.loss();
                    correct += out.correct();
                    n += batch.size();
                }
            }
        }
        double[] sum = world == 1 ? new double[] {loss, correct, n}
                : sync.averageScalars(new double[] {loss, correct, n});
        long samples = Math.round(sum[2] * world);
        return new Evaluation(samples == 0 ? Double.NaN : sum[0] * world / samples, Math.round(sum[1] * world),
                samples);
    }
}
