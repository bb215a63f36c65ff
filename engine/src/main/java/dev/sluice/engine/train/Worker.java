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
import dev.sluice.engine.device.PrefetchingFeeder;
import dev.sluice.engine.device.TokenFeed;
import dev.sluice.engine.device.TokenFeeder;
import dev.sluice.engine.optim.GradClip;
import dev.sluice.engine.optim.LrSchedule;
import dev.sluice.engine.optim.Optimizer;
import dev.sluice.engine.optim.Param;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Runs one replica through the whole job: each epoch it streams its share of the training split,
 * does forward and backward, agrees with the other replicas on the loss and on a stop request,
 * averages gradients, updates, and joins the partitioned evaluation. Replicas step in lockstep;
 * the collective calls are the meeting points.
 *
 * <p>The step loop only steps. What happens around a step is in one place per concern: the NaN
 * policy in {@link DivergenceGuard}, checkpoints in {@link CheckpointListener}, and for the chief
 * (global rank 0) progress, metrics and plots in the other {@link TrainingListener}s.
 */
final class Worker {

    /** Accuracy and loss on the evaluation split, over all ranks. */
    record Evaluation(double loss, long correct, long samples) {
        double accuracy() {
            return samples == 0 ? Double.NaN : (double) correct / samples;
        }
    }

    /** Everything a worker needs besides its replica. */
    record Context(TrainConfig cfg, Dataset dataset, FeedSpec feed, int world, MetricsLog metrics,
                   Checkpoints checkpoints, Map<String, String> resumeKey, Checkpoint resumeFrom, StopSignal stop,
                   ShardCache cache, TokenFeed tokens) {

        /** An image run ({@code tokens} null). */
        Context(TrainConfig cfg, Dataset dataset, FeedSpec feed, int world, MetricsLog metrics, Checkpoints checkpoints,
                Map<String, String> resumeKey, Checkpoint resumeFrom, StopSignal stop, ShardCache cache) {
            this(cfg, dataset, feed, world, metrics, checkpoints, resumeKey, resumeFrom, stop, cache, null);
        }

        /** The fields the loaders read: the token field, or the image and label fields. */
        List<String> fields() {
            return tokens != null ? List.of(tokens.field()) : List.of(feed.imageField(), feed.labelField());
        }

        /** Whether the loaders decode the image field. */
        boolean decodes() {
            return tokens == null && feed.encoded();
        }
    }

    private final Context ctx;
    private final TrainConfig cfg;
    private final Replica replica;
    private final ComputeDevice device;
    private final GradientSync sync;
    private final Optimizer optimizer;
    private final Console console;
    private final List<TrainingListener> listeners = new ArrayList<>();
    private final DivergenceGuard guard;
    private final BatchTap tap;
    private long step;
    private Evaluation lastEval;
    private String lastCheckpoint;
    private boolean stopped;
    private LoaderMetrics.Snapshot ioMark;

    /**
     * @param chiefListeners what the chief does around its steps (progress, metrics); ignored on
     *     other ranks
     */
    Worker(Context ctx, Replica replica, ComputeDevice device, GradientSync sync, Optimizer optimizer,
           Console console, List<TrainingListener> chiefListeners) {
        this(ctx, replica, device, sync, optimizer, console, chiefListeners, null);
    }

    /** As above, showing every training batch to {@code tap} (null: none) before the step. */
    Worker(Context ctx, Replica replica, ComputeDevice device, GradientSync sync, Optimizer optimizer,
           Console console, List<TrainingListener> chiefListeners, BatchTap tap) {
        this.ctx = ctx;
        this.tap = tap;
        this.cfg = ctx.cfg();
        this.replica = replica;
        this.device = device;
        this.sync = sync;
        this.optimizer = optimizer;
        this.console = console;
        Checkpoint cp = ctx.resumeFrom();
        this.guard = new DivergenceGuard(cfg.optimization().skipNonFinite(), cp == null ? 0 : cp.skippedBatches(),
                () -> lastCheckpoint);
        if (chief()) {
            listeners.addAll(chiefListeners);
        }
        // last: a step's metrics line is written before the checkpoint that flushes the log, so the log
        // of a run killed after a checkpoint holds every step up to it
        listeners.add(new CheckpointListener(cfg.checkpoints().every(), this::checkpoint));
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
        return guard.skipped();
    }

    LoaderConfig trainLoader() {
        return LoaderConfig.training(cfg.data().trainSplit(), cfg.job().batchSize(), cfg.job().seed())
                .withRank(replica.rank(), ctx.world())
                .withShuffle(true, cfg.data().shuffleWindow())
                .withRemainder(cfg.data().remainder())
                .withIo(cfg.data().prefetch(), cfg.data().store().partBytes(), 4)
                .withFields(ctx.fields())
                .withImages(ctx.decodes() ? cfg.inputs().trainStage(ctx.feed().imageField()) : null);
    }

    /** Runs the remaining epochs; returns the per-epoch summaries (identical on every rank). */
    List<EpochSummary> run() throws Exception {
        long startEpoch = 0;
        LoaderState state = LoaderState.start(cfg.job().seed(), 0);
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
             Loader evalLoader = cfg.data().evalSplit() == null ? null : new Loader(ctx.dataset(), evalLoaderConfig(),
                     device.hostAllocator(), null, ctx.cache())) {
            long perEpoch = loader.batchesPerEpoch();
            if (perEpoch == 0) {
                throw new IllegalArgumentException("split '" + cfg.data().trainSplit() + "' has " + loader.split().samples()
                        + " samples, fewer than one batch of " + cfg.job().batchSize() + " for each of " + ctx.world()
                        + " replica(s); lower --batch-size");
            }
            long total = cfg.job().maxSteps() > 0 ? Math.min(cfg.job().maxSteps(), perEpoch * cfg.job().epochs())
                    : perEpoch * cfg.job().epochs();
            LrSchedule schedule = new LrSchedule(cfg.optimization().lr(), cfg.optimization().warmupSteps(), total, cfg.optimization().cosine(), 0f);
            for (long e = startEpoch; e < cfg.job().epochs() && step < total && !stopped; e++) {
                Trained t = epoch((int) e, loader, state, total, schedule);
                state = LoaderState.start(cfg.job().seed(), e + 1);
                // batch-norm statistics are not gradients: keep rank 0's so evaluation sees one model
                sync.broadcast(replica.buffers());
                EpochEnd end = new EpochEnd((int) e + 1, step, t.complete(), stopped, t.position(), state);
                for (TrainingListener l : listeners) {
                    l.onEpochTrained(t.summary(), end);
                }
                EpochSummary s = t.summary();
                if (!stopped) {
                    lastEval = evalLoader == null ? null : evaluate(evalLoader);
                    // an epoch cut short by a stop is not evaluated: it keeps NaN, not the previous epoch's
                    s = withEval(s, lastEval);
                    for (TrainingListener l : listeners) {
                        l.onEpochEnd(s);
                    }
                }
                out.add(s);
            }
        }
        return out;
    }

    /** An epoch's training figures and where its steps ended. */
    private record Trained(EpochSummary summary, boolean complete, LoaderState position) {}

    private Trained epoch(int epoch, Loader loader, LoaderState state, long total, LrSchedule schedule)
            throws Exception {
        double lossSum = 0;
        long correct = 0;
        long samples = 0;
        // a token batch's size counts its scored tokens (N x T, what accuracy is over); throughput
        // counts samples, i.e. sequences
        long sequences = 0;
        int perSequence = ctx.tokens() != null ? ctx.tokens().length() : 1;
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
        boolean more = epoch + 1 < cfg.job().epochs() && step + loader.batchesPerEpoch() < total;
        boolean complete;
        LoaderState position;
        try (EpochStream stream = loader.open(state, more ? LoaderState.start(cfg.job().seed(), epoch + 1) : null);
             Feeder direct = feeder(stream);
             // a CPU replica converts its next batch while it steps on this one (the CUDA feeder
             // already overlaps its copies); the stream is then a batch ahead, so positions come
             // from the prefetching feeder
             PrefetchingFeeder ahead = device.isCuda() ? null : new PrefetchingFeeder(direct, stream::state)) {
            Feeder feeder = ahead == null ? direct : ahead;
            Supplier<LoaderState> at = ahead == null ? stream::state : ahead::position;
            long planned = stream.plannedSamples() / cfg.job().batchSize();
            // resumed mid-epoch: the stream holds what is left of the epoch
            long already = Math.max(0, loader.batchesPerEpoch() - planned);
            for (TrainingListener l : listeners) {
                l.onEpochBegin(epoch + 1, already, Math.min(planned, total - step));
            }
            while (step < total) {
                DeviceBatch batch = feeder.next();
                if (batch == null) {
                    break;
                }
                try (batch) {
                    if (batch.size() == 0 && world == 1) {
                        // every image of the batch failed to decode (each was counted and reported by
                        // the loader): there is nothing to learn from, and no other replica to keep step with
                        continue;
                    }
                    if (tap != null) {
                        tap.onBatch(replica.rank(), epoch + 1, step + 1, batch);
                    }
                    long a = System.nanoTime();
                    // with several replicas an empty batch still takes part in the step's collective calls,
                    // contributing a zero gradient and a zero loss to the averages
                    Replica.StepOutput out = batch.size() == 0 ? new Replica.StepOutput(0f, 0)
                            : replica.forwardBackward(batch);
                    step++;
                    long r0 = System.nanoTime();
                    // every replica must take the same decision: agree on the loss and on a stop request
                    double[] agreed = world == 1 ? new double[] {out.loss(), ctx.stop().requested() ? 1 : 0}
                            : sync.averageScalars(new double[] {out.loss(), ctx.stop().requested() ? 1 : 0});
                    long r = System.nanoTime() - r0;
                    boolean update = guard.admit(step, epoch + 1, agreed[0]);
                    float lr = schedule.at(step - 1);
                    if (update) {
                        r += sync.average(replica.params());
                        if (cfg.optimization().clipNorm() > 0) {
                            GradClip.clip(replica.params(), cfg.optimization().clipNorm());
                        }
                        optimizer.step(replica.params(), lr);
                        lossSum += out.loss();
                        finiteSteps++;
                    }
                    replica.zeroGradients();
                    long c = System.nanoTime();
                    done++;
                    correct += out.correct();
                    samples += batch.size();
                    sequences += batch.size() / perSequence;
                    waitNs += batch.dataWaitNanos();
                    copyNs += batch.copyNanos() + batch.transformNanos();
                    computeNs += c - a - r;
                    reduceNs += r;
                    TrainingStepEvent.emit(epoch + 1, step, replica.rank(), batch.dataWaitNanos(),
                            batch.copyNanos() + batch.transformNanos(), c - a - r, r);
                    boolean stopNow = agreed[1] > 0;
                    StepEvent ev = new StepEvent(epoch + 1, step, total, out.loss(), agreed[0], update, lr,
                            sequences * world / ((c - t0) / 1e9), stopNow, at);
                    for (TrainingListener l : listeners) {
                        l.onStep(ev);
                    }
                    if (stopNow) {
                        stopped = true;
                        break;
                    }
                }
            }
            // training drops a final partial batch, so the epoch holds plannedSamples / batch steps
            complete = !stopped && done >= planned;
            position = at.get();
        }
        long wall = System.nanoTime() - t0;
        ioMark = loader.metrics().snapshot();
        EpochIo io = EpochIo.of(ioMark.minus(before));
        // no finite step (resumed after the epoch's last batch, or every batch skipped for NaN):
        // the training loss is unknown, not 0
        double meanLoss = finiteSteps == 0 ? Double.NaN : lossSum / finiteSteps;
        double[] avg = world == 1 ? new double[] {meanLoss, correct, samples, sequences}
                : sync.averageScalars(new double[] {meanLoss, correct, samples, sequences});
        double n = Math.max(1, done);
        StepTiming t = new StepTiming(waitNs / n / 1e6, copyNs / n / 1e6, computeNs / n / 1e6, reduceNs / n / 1e6);
        double stepMs = t.totalMs();
        double allSamples = avg[2] * world;
        EpochSummary summary = new EpochSummary(epoch + 1, done, avg[0],
                allSamples == 0 ? Double.NaN : avg[1] * world / allSamples, Double.NaN, Double.NaN, wall / 1e9,
                avg[3] * world / (wall / 1e9), stepMs == 0 ? 0 : t.dataWaitMs() / stepMs, t, io);
        return new Trained(summary, complete, position);
    }

    /** The feeder of one epoch: token windows, or images through the device's transform. */
    private Feeder feeder(EpochStream stream) {
        return ctx.tokens() != null ? new TokenFeeder(stream, replica.manager(), ctx.tokens())
                : device.feeder(stream, replica.manager(), ctx.feed(), ctx.feed().transform());
    }

    /** The chief saves; the others go on and wait at the next collective call. */
    private void checkpoint(long epoch, LoaderState state) throws Exception {
        if (!chief() || ctx.checkpoints() == null) {
            return;
        }
        Checkpoint cp = new Checkpoint(step, epoch, state.toJson(), optimizer.steps(), guard.skipped(),
                ctx.resumeKey(), replica.exportTensors(optimizer));
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
        return LoaderConfig.evaluation(cfg.data().evalSplit(), Math.max(256, cfg.job().batchSize()))
                .withRank(replica.rank(), ctx.world()).withRemainder(Remainder.UNEVEN)
                .withFields(ctx.fields())
                .withIo(cfg.data().prefetch(), cfg.data().store().partBytes(), 4)
                .withImages(ctx.decodes() ? cfg.inputs().evalStage(ctx.feed().imageField()) : null);
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
             Feeder feeder = feeder(stream)) {
            for (DeviceBatch b = feeder.next(); b != null; b = feeder.next()) {
                try (DeviceBatch batch = b) {
                    if (batch.size() == 0) {
                        continue; // every image failed to decode: nothing to evaluate
                    }
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
