package dev.sluice.engine.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import dev.sluice.data.format.Dataset;
import dev.sluice.data.loader.ShardCache;
import dev.sluice.data.store.ObjectStore;
import dev.sluice.data.store.Stores;
import dev.sluice.engine.checkpoint.Checkpoint;
import dev.sluice.engine.checkpoint.CheckpointException;
import dev.sluice.engine.checkpoint.Checkpoints;
import dev.sluice.engine.collective.Collective;
import dev.sluice.engine.collective.CollectiveException;
import dev.sluice.engine.collective.InProcessGroup;
import dev.sluice.engine.collective.NcclCollective;
import dev.sluice.nccl.Nccl;
import dev.sluice.nccl.NcclLoadOptions;
import dev.sluice.engine.collective.TcpCollective;
import dev.sluice.engine.collective.TcpOptions;
import dev.sluice.engine.device.ComputeDevice;
import dev.sluice.engine.device.Devices;
import dev.sluice.engine.device.FeedSpec;
import dev.sluice.engine.optim.AdamW;
import dev.sluice.engine.optim.Optimizer;
import dev.sluice.engine.optim.Sgd;
import dev.sluice.engine.report.RunReport;
import dev.sluice.models.BuiltModel;
import dev.sluice.models.InputSpec;
import dev.sluice.models.ModelRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs a training job: opens the dataset, builds one replica per device (or per process in a
 * multi-process launch), connects them with a collective, runs every replica in its own thread,
 * and reports progress, per-epoch summaries and metrics from global rank 0.
 */
public final class Trainer {

    private final TrainConfig cfg;
    private final Console console;
    private final Map<String, String> env;
    private final boolean installSignal;
    private final ShardCache cache;

    /**
     * @param cfg the run's configuration
     * @param out where progress and summaries are printed
     */
    public Trainer(TrainConfig cfg, PrintStream out) {
        this(cfg, out, System.getenv(), true);
    }

    /**
     * As above, with the launch environment given explicitly.
     *
     * @param installSignalHandler checkpoint and stop on SIGTERM/Ctrl-C (the CLI); embedders that own the
     *     process's signals pass false
     */
    public Trainer(TrainConfig cfg, PrintStream out, Map<String, String> env, boolean installSignalHandler) {
        this(cfg, out, env, installSignalHandler, null);
    }

    /**
     * As above, with a local shard cache that every loader of the run reads through.
     *
     * @param cache local disk cache of shards (see {@link ShardCache}), or null for none
     */
    public Trainer(TrainConfig cfg, PrintStream out, Map<String, String> env, boolean installSignalHandler,
                   ShardCache cache) {
        this.cfg = cfg;
        this.console = new Console(out, cfg.progress(), cfg.json());
        this.env = env;
        this.installSignal = installSignalHandler;
        this.cache = cache;
    }

    /** Trains and evaluates; the result holds the final evaluation accuracy. */
    public TrainResult run() throws Exception {
        long start = System.nanoTime();
        Optional<Launch> launch = Launch.fromEnvironment(env);
        List<ComputeDevice> devices = openDevices(launch);
        try {
            return run(start, launch, devices);
        } finally {
            // also when setup fails before training starts: an embedding application keeps running
            devices.forEach(ComputeDevice::close);
        }
    }

    private TrainResult run(long start, Optional<Launch> launch, List<ComputeDevice> devices) throws Exception {
        int local = devices.size();
        int world = launch.map(Launch::worldSize).orElse(local);
        boolean nccl = world > 1 && devices.get(0).isCuda();
        NcclLoadOptions ncclOptions = cfg.ncclLib() == null ? NcclLoadOptions.defaults()
                : NcclLoadOptions.defaults().withNcclLibrary(java.nio.file.Path.of(cfg.ncclLib()));
        if (nccl) {
            // every rank loads NCCL before the rendezvous, so one without it fails here with the reason
            // instead of leaving the others waiting for the unique id
            Nccl.load(ncclOptions);
        }
        int firstRank = launch.map(Launch::rank).orElse(0);
        boolean chiefHere = firstRank == 0;
        Console out = chiefHere ? console : console.quiet();
        Files.createDirectories(cfg.runDir());
        out.line("Run directory: " + cfg.runDir().toAbsolutePath());
        Engine.getInstance(); // loads the PyTorch natives
        // replicas share the cores: one intra-op thread pool each would oversubscribe them (set every run:
        // the setting is process-wide and an embedding application may run several jobs)
        JniUtils.setNumThreads(Math.max(1, Runtime.getRuntime().availableProcessors() / local));
        // installed only now, right before the block that closes it: a hook left installed by a failure
        // above would hold the exiting JVM for its 120 s wait
        StopSignal stop = installSignal ? StopSignal.install() : StopSignal.manual();
        List<AutoCloseable> closeLater = new ArrayList<>();
        try (stop; ObjectStore store = Stores.open(cfg.data(), cfg.store());
             // only the chief writes events; other ranks' logs stay empty and create no file
             MetricsLog metrics = new MetricsLog(cfg.runDir().resolve(
                     chiefHere ? "metrics.jsonl" : "metrics-rank" + firstRank + ".jsonl"))) {
            Dataset ds = Dataset.open(store);
            FeedSpec feed = FeedSpec.from(ds.manifest());
            InputSpec input = InputSpec.image(feed.imageField(), feed.channels(), feed.height(), feed.width());
            ModelRegistry registry = ModelRegistry.builtIn();
            out.line(String.format(Locale.ROOT, "Training %s on %s (%s, %,d samples): %d replica(s)%s, batch %d each",
                    cfg.model(), ds.manifest().name(), cfg.trainSplit(), ds.manifest().split(cfg.trainSplit()).samples(),
                    world, launch.isPresent() ? " across " + world + " processes"
                            : " on " + devices.stream().map(ComputeDevice::name).distinct().toList(), cfg.batchSize()));
            String identity = datasetIdentity(ds, cfg.trainSplit());
            Map<String, String> resumeKey = cfg.resumeKey(identity);
            ObjectStore ckptStore = Stores.open(cfg.checkpointLocation(), cfg.store());
            closeLater.add(ckptStore);
            Checkpoints checkpoints = new Checkpoints(ckptStore, cfg.keepCheckpoints());
            Checkpoint resumeFrom = null;
            if (!cfg.resume() && !checkpoints.steps().isEmpty()) {
                // a fresh run's checkpoints would mix with the old ones: pruning by step could delete the
                // new ones, and a later --resume could pick an old one
                throw new CheckpointException(ckptStore.location() + " already holds checkpoints of an earlier run"
                        + " (steps " + checkpoints.steps() + "); continue it with --resume, or start this run in"
                        + " another --run-dir or --checkpoint-dir");
            }
            if (cfg.resume()) {
                resumeFrom = checkpoints.latestValid(msg -> out.line("skipping damaged checkpoint: " + msg))
                        .orElseThrow(() -> new CheckpointException("--resume: no valid checkpoint in "
                                + ckptStore.location() + "; start without --resume, or point --checkpoint-dir"
                                + " or --run-dir at the run to continue"));
                String diff = resumeFrom.differences(resumeKey);
                if (!diff.isEmpty()) {
                    throw new CheckpointException("--resume: " + checkpoints.where(resumeFrom.step())
                            + " was taken with another configuration (" + diff + "); run with the same settings"
                            + " or start a new run without --resume");
                }
                out.line("Resuming from " + checkpoints.where(resumeFrom.step()) + " (step " + resumeFrom.step()
                        + ", epoch " + (resumeFrom.epoch() + 1) + ")");
            }
            List<Collective> collectives = connect(launch, local, fingerprint(ds));
            closeLater.addAll(collectives); // closing twice is harmless; this covers a failure before training
            List<NcclCollective> ncclGroup = nccl ? ncclCollectives(launch, devices, collectives, ncclOptions)
                    : List.of();
            closeLater.addAll(ncclGroup);
            List<Replica> replicas = new ArrayList<>();
            List<GradientSync> syncs = new ArrayList<>();
            ExecutorService pool = Executors.newFixedThreadPool(local, r -> {
                Thread t = new Thread(r, "sluice-replica");
                t.setDaemon(true);
                return t;
            });
            try {
                List<Worker> workers = new ArrayList<>();
                Worker.Context context = new Worker.Context(cfg, ds, feed, world, metrics, checkpoints, resumeKey,
                        resumeFrom, stop, s -> report(out, s, metrics), cache);
                for (int r = 0; r < local; r++) {
                    Engine.getInstance().setRandomSeed(Long.hashCode(cfg.seed()) + firstRank + r);
                    BuiltModel model = registry.create(cfg.model(), input, feed.numClasses());
                    Replica replica = new Replica(firstRank + r, devices.get(r).djlDevice(), model);
                    replicas.add(replica);
                    GradientSync sync = collectives.isEmpty() ? GradientSync.none()
                            : nccl ? new DeviceGradientSync(ncclGroup.get(r), new CollectiveGradientSync(collectives.get(r)))
                            : new CollectiveGradientSync(collectives.get(r));
                    syncs.add(sync);
                    boolean chief = replica.rank() == 0;
                    workers.add(new Worker(context, replica, devices.get(r), sync, optimizer(),
                            chief ? out : out.quiet()));
                }
                if (chiefHere) {
                    metrics.event("start").put("model", cfg.model()).put("dataset", ds.manifest().name())
                            .put("data", cfg.data()).put("replicas", world).put("batch_size", cfg.batchSize())
                            .put("optimizer", optimizer().describe())
                            .put("lr", cfg.lr()).put("epochs", cfg.epochs()).put("seed", cfg.seed()).write();
                }
                List<Future<List<EpochSummary>>> futures = new ArrayList<>();
                for (int r = 0; r < local; r++) {
                    futures.add(pool.submit(leavingOnFailure(workers.get(r)::run,
                            collectives.isEmpty() ? null : collectives.get(r))));
                }
                List<EpochSummary> summaries = await(futures, collectives);
                Worker first = workers.get(0);
                Worker.Evaluation last = first.lastEvaluation();
                double secs = (System.nanoTime() - start) / 1e9;
                TrainResult result = new TrainResult(summaries, last == null ? Double.NaN : last.accuracy(),
                        last == null ? 0 : last.correct(), last == null ? 0 : last.samples(), first.steps(), secs,
                        cfg.runDir(), first.stopped(), first.lastCheckpoint(), first.skippedBatches());
                if (chiefHere) {
                    finish(result, metrics);
                } else {
                    console.line(String.format(Locale.ROOT, "rank %d: %d steps done in %.1f s", firstRank,
                            result.steps(), secs));
                }
                return result;
            } finally {
                pool.shutdownNow();
                syncs.forEach(GradientSync::close);
                collectives.forEach(Collective::close);
                ncclGroup.forEach(Collective::close);
                replicas.forEach(Replica::close);
            }
        } finally {
            for (AutoCloseable c : closeLater) {
                c.close();
            }
            stop.close();
        }
    }

    /**
     * Dataset name and a digest of the training split's shard keys and checksums: what "the same
     * data" means. Other splits are left out, so adding or re-ingesting an evaluation split does not
     * make a checkpoint unusable.
     */
    static String datasetIdentity(Dataset ds, String trainSplit) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        for (var sh : ds.manifest().split(trainSplit).shards()) {
            crc.update(sh.key().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            crc.update((int) sh.crc32c());
        }
        return ds.manifest().name() + "@" + Long.toHexString(crc.getValue());
    }

    /**
     * The devices of this process: what {@code --devices} selects, or in a multi-process launch one
     * replica per process (the GPU of {@code LOCAL_RANK} when GPUs are selected).
     */
    private List<ComputeDevice> openDevices(Optional<Launch> launch) {
        Devices.Selection sel = Devices.standard().select(cfg.devices());
        if (launch.isPresent()) {
            if (!sel.cuda() && sel.replicas() > 1) {
                throw new IllegalArgumentException("--devices " + cfg.devices() + " asks for " + sel.replicas()
                        + " replicas in each of WORLD_SIZE=" + launch.get().worldSize()
                        + " processes; with a multi-process launch use one CPU replica per process (--devices cpu)");
            }
            String one = sel.cuda() ? "cuda:" + sel.gpus().get(launch.get().localRank() % sel.gpus().size()) : "cpu";
            return Devices.standard().open(one);
        }
        return Devices.standard().open(cfg.devices());
    }

    private Optimizer optimizer() {
        return cfg.optimizer().equals("sgd") ? new Sgd(cfg.momentum(), cfg.nesterov(), cfg.weightDecay())
                : AdamW.withWeightDecay(cfg.weightDecay());
    }

    /**
     * What every process of a job must agree on; compared at rendezvous so a mismatch fails with
     * both sides' values instead of training garbage.
     */
    String fingerprint(Dataset ds) {
        return String.format(Locale.ROOT, "dataset=%s split=%s model=%s batch=%d seed=%d optimizer=%s lr=%s",
                datasetIdentity(ds, cfg.trainSplit()), cfg.trainSplit(), cfg.model(), cfg.batchSize(), cfg.seed(), cfg.optimizer(),
                cfg.lr());
    }

    private List<Collective> connect(Optional<Launch> launch, int local, String fingerprint) throws IOException {
        List<Collective> out = new ArrayList<>();
        if (launch.isPresent()) {
            Launch l = launch.get();
            TcpOptions o = TcpOptions.of(l.masterAddr(), l.masterPort(), l.rank(), l.worldSize())
                    .withFingerprint(fingerprint).withRendezvousTimeout(Duration.ofMinutes(2));
            console.line("rank " + l.rank() + "/" + l.worldSize() + ": rendezvous at " + l.masterAddr() + ":"
                    + l.masterPort());
            if (l.rank() == 0) {
                try (TcpCollective.Master m = TcpCollective.listen(o)) {
                    out.add(m.awaitPeers());
                }
            } else {
                out.add(TcpCollective.connect(o));
            }
        } else if (local > 1) {
            out.addAll(new InProcessGroup(local, Duration.ofMinutes(30)).members());
        }
        return out;
    }

    /**
     * NCCL communicators over the GPUs: one per local GPU in a single process, or one per process
     * whose unique id travels over the TCP rendezvous.
     */
    private static List<NcclCollective> ncclCollectives(Optional<Launch> launch, List<ComputeDevice> devices,
                                                        List<Collective> bootstrap, NcclLoadOptions options)
            throws IOException {
        int[] ordinals = devices.stream().mapToInt(d -> d.djlDevice().getDeviceId()).toArray();
        Duration timeout = Duration.ofMinutes(5);
        if (launch.isPresent()) {
            return List.of(NcclCollective.join(options, bootstrap.get(0), ordinals[0], timeout));
        }
        return NcclCollective.local(options, timeout, ordinals);
    }

    /**
     * A replica's task that, when it fails, leaves its collective at once: the replicas waiting for
     * it in a collective call then fail now, naming it, instead of at the group's timeout (the
     * failures are collected in rank order, so rank 0 may still be waiting when rank 1 fails).
     *
     * @param collective the replica's collective, or null for a single replica
     */
    static <T> Callable<T> leavingOnFailure(Callable<T> task, Collective collective) {
        return () -> {
            try {
                return task.call();
            } catch (Throwable t) {
                if (collective != null) {
                    collective.close();
                }
                throw t;
            }
        };
    }

    /**
     * Waits for every replica; on the first failure closes the collectives so the others stop at
     * once, and rethrows the root cause (not a peer's "rank N failed").
     */
    static List<EpochSummary> await(List<Future<List<EpochSummary>>> futures, List<Collective> collectives)
            throws Exception {
        List<EpochSummary> first = null;
        Throwable root = null;
        for (Future<List<EpochSummary>> f : futures) {
            try {
                List<EpochSummary> s = f.get();
                if (first == null) {
                    first = s;
                }
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                collectives.forEach(Collective::close);
                boolean consequence = c instanceof CollectiveException ce
                        && (ce.reason() == CollectiveException.Reason.PEER_FAILED
                        || ce.reason() == CollectiveException.Reason.CLOSED);
                if (root == null || (!consequence && root instanceof CollectiveException)) {
                    root = c;
                }
            }
        }
        if (root instanceof Exception ex) {
            throw ex;
        }
        if (root instanceof Error err) {
            throw err;
        }
        return first;
    }

    private void report(Console out, EpochSummary s, MetricsLog metrics) throws IOException {
        String evalPart = Double.isNaN(s.evalAccuracy()) ? ""
                : String.format(Locale.ROOT, " | %s loss %.4f acc %.4f", cfg.evalSplit(), s.evalLoss(), s.evalAccuracy());
        out.line(String.format(Locale.ROOT,
                "epoch %d/%d: train loss %.4f acc %.4f%s | %.1f s, %,.0f samples/s, data wait %.1f%%",
                s.epoch(), cfg.epochs(), s.trainLoss(), s.trainAccuracy(), evalPart, s.seconds(),
                s.samplesPerSecond(), s.dataWaitFraction() * 100));
        StepTiming t = s.timing();
        out.line(String.format(Locale.ROOT,
                "  per step %.2f ms: data wait %.2f, host-to-device %.2f, compute %.2f, all-reduce %.2f",
                t.totalMs(), t.dataWaitMs(), t.hostToDeviceMs(), t.computeMs(), t.allReduceMs()));
        if (s.io() != null) {
            out.line("  " + s.io().line());
        }
        MetricsLog.Event ev = metrics.event("epoch").put("epoch", s.epoch()).put("steps", s.steps())
                .put("train_loss", s.trainLoss()).put("train_accuracy", s.trainAccuracy())
                .put("eval_loss", s.evalLoss()).put("eval_accuracy", s.evalAccuracy())
                .put("seconds", s.seconds()).put("samples_per_s", s.samplesPerSecond())
                .put("data_wait_fraction", s.dataWaitFraction())
                .put("data_wait_ms", s.timing().dataWaitMs()).put("h2d_ms", s.timing().hostToDeviceMs())
                .put("compute_ms", s.timing().computeMs()).put("allreduce_ms", s.timing().allReduceMs());
        ev.write();
        out.json(MetricsLog.json(ev.fields()));
        metrics.flush();
    }

    private void finish(TrainResult r, MetricsLog metrics) throws IOException {
        if (r.epochs().isEmpty()) {
            // --resume from a checkpoint at the run's end: nothing was trained or evaluated, and the
            // summary logged by the run that got there stays the last one in metrics.jsonl
            console.line(String.format(Locale.ROOT, "nothing left to train: %s is at step %d, where this run ends"
                    + " (--epochs %d%s); start a new run to train further", r.lastCheckpoint(), r.steps(),
                    cfg.epochs(), cfg.maxSteps() > 0 ? ", --max-steps " + cfg.maxSteps() : ""));
            return;
        }
        // the report is drawn before the summary event so its table ends with the epochs, and the
        // run's last line stays the one below
        RunReport report = RunReport.write(cfg.runDir());
        console.line(report.table().stripTrailing());
        console.line("Plots: " + report.plots().stream().map(p -> p.getFileName().toString()).toList() + " in "
                + cfg.runDir().toAbsolutePath());
        // like the steps, the epochs count from the start of the run, also after a resume (the
        // summaries hold only the epochs trained by this call)
        int epochs = r.epochs().isEmpty() ? 0 : r.epochs().get(r.epochs().size() - 1).epoch();
        MetricsLog.Event ev = metrics.event("summary").put("test_accuracy", r.evalAccuracy())
                .put("eval_split", cfg.evalSplit()).put("eval_correct", r.evalCorrect())
                .put("eval_samples", r.evalSamples()).put("epochs", epochs).put("steps", r.steps())
                .put("seconds", r.seconds()).put("run_dir", r.runDir().toAbsolutePath().toString())
                .put("stopped", r.stopped()).put("last_checkpoint", r.lastCheckpoint())
                .put("skipped_batches", r.skippedBatches());
        ev.write();
        metrics.flush();
        if (r.stopped()) {
            console.line(String.format(Locale.ROOT, "stopped at step %d on request; checkpoint %s; continue with"
                    + " --resume --run-dir %s", r.steps(), r.lastCheckpoint(), cfg.runDir()));
        } else if (Double.isNaN(r.evalAccuracy())) {
            console.line(String.format(Locale.ROOT, "done: %d steps in %.1f s (no evaluation split)", r.steps(),
                    r.seconds()));
        } else {
            console.line(String.format(Locale.ROOT, "test accuracy %.4f (%d/%d %s samples) after %d epoch(s), %.1f s",
                    r.evalAccuracy(), r.evalCorrect(), r.evalSamples(), cfg.evalSplit(), epochs, r.seconds()));
        }
        console.json(MetricsLog.json(ev.fields()));
    }
}
