package dev.sluice.engine.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
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
import dev.sluice.engine.device.PyTorchInternals;
import dev.sluice.engine.device.TokenFeed;
import dev.sluice.engine.optim.AdamW;
import dev.sluice.engine.optim.Optimizer;
import dev.sluice.engine.optim.Sgd;
import dev.sluice.models.BuiltModel;
import dev.sluice.models.InputSpec;
import dev.sluice.models.ModelRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
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

    /** The run's configuration; its run directory is filled in when the run claims one (a Trainer runs once). */
    private TrainConfig cfg;
    private final Console console;
    private final Map<String, String> env;
    private final boolean installSignal;
    private final ShardCache cache;
    private BatchTap tap;

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
        this(cfg, out, out, env, installSignalHandler, cache);
    }

    /**
     * As above, with JSON lines ({@code --json}) printed to {@code out} and every other line to
     * {@code human}: the CLI passes stderr there with {@code --json}, so stdout is JSON only.
     */
    public Trainer(TrainConfig cfg, PrintStream out, PrintStream human, Map<String, String> env,
                   boolean installSignalHandler, ShardCache cache) {
        this.cfg = cfg;
        this.console = new Console(out, human, cfg.output().progress(), cfg.output().json());
        this.env = env;
        this.installSignal = installSignalHandler;
        this.cache = cache;
    }

    /** Shows every replica's training batches to {@code t} before each step (tests); returns this. */
    Trainer tapBatches(BatchTap t) {
        this.tap = t;
        return this;
    }

    /** Trains and evaluates; the result holds the final evaluation accuracy. */
    public TrainResult run() throws Exception {
        long start = System.nanoTime();
        // what can be checked without the data is checked before anything is written
        if (!ModelRegistry.builtIn().names().contains(cfg.job().model())) {
            throw new InvalidRunException("--model " + cfg.job().model() + ": no such model; models: "
                    + String.join(", ", ModelRegistry.builtIn().names()));
        }
        try {
            cfg.hardware().checkCores(Runtime.getRuntime().availableProcessors());
        } catch (IllegalArgumentException e) {
            throw new InvalidRunException(e.getMessage(), e);
        }
        Optional<Launch> launch = Launch.fromEnvironment(env);
        List<ComputeDevice> devices = openDevices(launch);
        try (ObjectStore store = Stores.open(cfg.data().location(), cfg.data().store())) {
            int world = launch.map(Launch::worldSize).orElse(devices.size());
            // the dataset, the model's fit, the splits, the batch and the checkpoint directory are
            // checked before the run directory exists: a refused run leaves nothing behind
            RunPlan plan = RunPlan.resolve(cfg, store, ModelRegistry.builtIn(), world);
            cfg = plan.cfg();
            boolean chief = launch.map(Launch::rank).orElse(0) == 0;
            java.time.LocalDateTime now = java.time.LocalDateTime.now();
            // ranks other than the chief write only their own log there: they use the plain name, not a new one
            Path explicit = cfg.output().runDir() != null || chief ? cfg.output().runDir()
                    : TrainDefaults.RUNS.resolve(RunDirectory.defaultName(cfg.job().model(), now));
            RunDirectory dir;
            try {
                dir = RunDirectory.claim(explicit, TrainDefaults.RUNS, cfg.job().model(), now);
            } catch (java.nio.file.AccessDeniedException | java.nio.file.NotDirectoryException
                     | java.nio.file.NoSuchFileException | java.nio.file.FileAlreadyExistsException e) {
                // the path the user gave cannot hold a directory; a full or failing disk is no usage error
                String why = e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                        : e instanceof java.nio.file.NotDirectoryException ? "a file is in the way"
                        : e instanceof java.nio.file.NoSuchFileException ? "no such file or directory"
                        : "a file of that name exists";
                throw new InvalidRunException("--run-dir " + (explicit != null ? explicit : TrainDefaults.RUNS)
                        + ": cannot create the run directory (" + e.getFile() + ": " + why + "); pass a writable --run-dir", e);
            }
            cfg = cfg.withRunDir(dir.path());
            try {
                return run(start, launch, devices, plan);
            } catch (Throwable t) {
                dir.removeIfNothingWritten();
                throw t;
            }
        } finally {
            // also when setup fails before training starts: an embedding application keeps running
            devices.forEach(ComputeDevice::close);
        }
    }

    private TrainResult run(long start, Optional<Launch> launch, List<ComputeDevice> devices, RunPlan plan)
            throws Exception {
        int local = devices.size();
        int world = launch.map(Launch::worldSize).orElse(local);
        boolean nccl = world > 1 && devices.get(0).isCuda();
        NcclLoadOptions ncclOptions = cfg.hardware().ncclLib() == null ? NcclLoadOptions.defaults()
                : NcclLoadOptions.defaults().withNcclLibrary(java.nio.file.Path.of(cfg.hardware().ncclLib()));
        if (nccl) {
            // every rank loads NCCL before the rendezvous, so one without it fails here with the reason
            // instead of leaving the others waiting for the unique id
            Nccl.load(ncclOptions);
        }
        int firstRank = launch.map(Launch::rank).orElse(0);
        boolean chiefHere = firstRank == 0;
        Console out = chiefHere ? console : console.quiet();
        out.line("Run directory: " + cfg.output().runDir().toAbsolutePath());
        plan.notes().forEach(out::line);
        Engine.getInstance(); // loads the PyTorch natives
        PyTorchInternals.setIntraOpThreads(intraOpThreads(Runtime.getRuntime().availableProcessors(), local));
        // installed only now, right before the block that closes it: a hook left installed by a failure
        // above would hold the exiting JVM for its 120 s wait
        StopSignal stop = installSignal ? StopSignal.install() : StopSignal.manual();
        List<AutoCloseable> closeLater = new ArrayList<>();
        try (stop;
             // only the chief writes events; other ranks' logs stay empty and create no file
             MetricsLog metrics = new MetricsLog(cfg.output().runDir().resolve(
                     chiefHere ? "metrics.jsonl" : "metrics-rank" + firstRank + ".jsonl"))) {
            Dataset ds = plan.dataset();
            TrainConfig.Inputs in = cfg.inputs();
            TokenFeed tokens = plan.tokens();
            FeedSpec feed = plan.feed();
            InputSpec input = plan.input();
            int classes = plan.classes();
            ModelRegistry registry = ModelRegistry.builtIn();
            out.line(String.format(Locale.ROOT, "Training %s on %s (%s, %,d samples): %d replica(s)%s, batch %d each",
                    cfg.job().model(), ds.manifest().name(), cfg.data().trainSplit(), ds.manifest().split(cfg.data().trainSplit()).samples(),
                    world, launch.isPresent() ? " across " + world + " processes"
                            : " on " + devices.stream().map(ComputeDevice::name).distinct().toList(), cfg.job().batchSize()));
            if (feed != null && feed.encoded()) {
                out.line(String.format(Locale.ROOT, "Decoding '%s' to %dx%d RGB (training: %s%s; evaluation: centre"
                        + " crop), normalized with %s", feed.imageField(), feed.height(), feed.width(),
                        in.trainStage(feed.imageField()).crop().name().toLowerCase(Locale.ROOT),
                        in.flip() ? " + flip" : "", java.util.Arrays.toString(feed.mean()) + " / "
                                + java.util.Arrays.toString(feed.std())));
            }
            String identity = datasetIdentity(ds, cfg.data().trainSplit());
            Map<String, String> resumeKey = cfg.resumeKey(identity, feed != null && feed.encoded());
            ObjectStore ckptStore = Stores.open(cfg.checkpointLocation(), cfg.data().store());
            closeLater.add(ckptStore);
            Checkpoints checkpoints = new Checkpoints(ckptStore, cfg.checkpoints().keep());
            Checkpoint resumeFrom = null;
            boolean atEnd = false;
            if (!cfg.checkpoints().resume() && !checkpoints.steps().isEmpty()) {
                // a fresh run's checkpoints would mix with the old ones: pruning by step could delete the
                // new ones, and a later --resume could pick an old one
                throw new CheckpointException(ckptStore.location() + " already holds checkpoints of an earlier run"
                        + " (steps " + checkpoints.steps() + "); continue it with --resume, or start this run in"
                        + " another --run-dir or --checkpoint-dir");
            }
            if (cfg.checkpoints().resume()) {
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
                // at the run's end (its epochs or --max-steps done) there is no "epoch N+1" to resume
                // from: finish() says so in one line, and the run logs no new start
                atEnd = resumeFrom.epoch() >= cfg.job().epochs()
                        || cfg.job().maxSteps() > 0 && resumeFrom.step() >= cfg.job().maxSteps();
                if (!atEnd) {
                    out.line("Resuming from " + checkpoints.where(resumeFrom.step()) + " (step " + resumeFrom.step()
                            + ", epoch " + (resumeFrom.epoch() + 1) + " of " + cfg.job().epochs() + ")");
                }
            }
            List<Collective> collectives = connect(launch, local, fingerprint(ds, resumeKey));
            closeLater.addAll(collectives); // closing twice is harmless; this covers a failure before training
            List<NcclCollective> ncclGroup = nccl ? ncclCollectives(launch, devices, collectives, ncclOptions)
                    : List.of();
            closeLater.addAll(ncclGroup);
            List<Replica> replicas = new ArrayList<>();
            List<GradientSync> syncs = new ArrayList<>();
            int intraOp = intraOpThreads(Runtime.getRuntime().availableProcessors(), local);
            ExecutorService pool = Executors.newFixedThreadPool(local, r -> {
                // PyTorch's OpenMP thread count is per calling thread: set it on the thread that steps too,
                // or its ops run on every core, in an order that can change a GPT's loss from run to run
                Thread t = new Thread(() -> {
                    PyTorchInternals.setIntraOpThreads(intraOp);
                    r.run();
                }, "sluice-replica");
                t.setDaemon(true);
                return t;
            });
            try {
                List<Worker> workers = new ArrayList<>();
                Worker.Context context = new Worker.Context(cfg, ds, feed, world, metrics, checkpoints, resumeKey,
                        resumeFrom, stop, cache, tokens);
                // the chief's concerns besides stepping, in the order they act at the end of a run:
                // the plots are drawn before the summary event so the report's table ends with the epochs,
                // and the run's last line stays the progress listener's
                int tokensPerSample = tokens == null ? 0 : tokens.length();
                ProgressListener progress = new ProgressListener(out, cfg.job().epochs(), cfg.job().batchSize() * world,
                        cfg.data().evalSplit(), tokensPerSample);
                List<TrainingListener> chiefListeners = List.of(new PlotsListener(out, cfg.output().runDir()),
                        new MetricsListener(metrics, cfg.output().logEvery(), cfg.data().evalSplit(), tokensPerSample),
                        progress);
                for (int r = 0; r < local; r++) {
                    Engine.getInstance().setRandomSeed(Long.hashCode(cfg.job().seed()) + firstRank + r);
                    BuiltModel model = registry.create(cfg.job().model(), input, classes);
                    Replica replica = new Replica(firstRank + r, devices.get(r).djlDevice(), model);
                    replicas.add(replica);
                    if (r == 0 && !devices.get(0).isCuda()) {
                        // sized from the first replica, before the others are allocated
                        checkHostMemory(replica.stateBytes(), local, freeHostMemory());
                    }
                    GradientSync sync = collectives.isEmpty() ? GradientSync.none()
                            : nccl ? new DeviceGradientSync(ncclGroup.get(r), new CollectiveGradientSync(collectives.get(r)))
                            : new CollectiveGradientSync(collectives.get(r));
                    syncs.add(sync);
                    boolean chief = replica.rank() == 0;
                    workers.add(new Worker(context, replica, devices.get(r), sync, optimizer(),
                            chief ? out : out.quiet(), chief ? chiefListeners : List.of(), tap));
                }
                if (chiefHere && !atEnd) {
                    metrics.event("start").put("model", cfg.job().model()).put("dataset", ds.manifest().name())
                            .put("data", cfg.data().location()).put("replicas", world).put("batch_size", cfg.job().batchSize())
                            .put("optimizer", optimizer().describe())
                            .put("lr", cfg.optimization().lr()).put("epochs", cfg.job().epochs()).put("seed", cfg.job().seed()).write();
                }
                List<Future<List<EpochSummary>>> futures = new ArrayList<>();
                for (int r = 0; r < local; r++) {
                    futures.add(pool.submit(leavingOnFailure(workers.get(r)::run,
                            collectives.isEmpty() ? null : collectives.get(r))));
                }
                List<EpochSummary> summaries;
                try {
                    summaries = await(futures, collectives);
                } finally {
                    progress.close();
                }
                Worker first = workers.get(0);
                Worker.Evaluation last = first.lastEvaluation();
                double secs = (System.nanoTime() - start) / 1e9;
                TrainResult result = new TrainResult(summaries, last == null ? Double.NaN : last.accuracy(),
                        last == null ? 0 : last.correct(), last == null ? 0 : last.samples(), first.steps(), secs,
                        cfg.output().runDir(), first.stopped(), first.lastCheckpoint(), first.skippedBatches());
                if (chiefHere) {
                    finish(result, chiefListeners);
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
     * PyTorch's intra-op threads for each of {@code replicas} replicas on {@code cores} cores: the
     * cores less one, shared by the replicas, at least one. One core is left to the loader's threads
     * and the JVM: on 2 cores, 2 intra-op threads made a step 3-8x slower than 1 (docs/BENCHMARKS.md,
     * "PyTorch threads"), since PyTorch's threads wait for each other at every operation and any
     * other busy thread stalls them all. The setting is process-wide, so it is set on every run; the
     * property {@code sluice.intraOpThreads} overrides it (to measure). Public so that benchmarks
     * comparing against the trainer use the same setting.
     */
    public static int intraOpThreads(int cores, int replicas) {
        return Integer.getInteger("sluice.intraOpThreads", Math.max(1, (cores - 1) / replicas));
    }

    /**
     * Refuses CPU replicas whose training state would not fit in the free host memory: each holds
     * its parameters and buffers, a gradient per parameter and up to two optimizer moments (AdamW),
     * so about four times its state. Checked after the first replica, before the others allocate.
     *
     * @param stateBytes one replica's parameters and buffers, in bytes
     * @param freeBytes free physical memory, or a negative number when unknown (no check)
     * @throws IllegalArgumentException naming what is needed and what is free
     */
    static void checkHostMemory(long stateBytes, int replicas, long freeBytes) {
        long needed = 4 * stateBytes * (long) replicas;
        if (freeBytes >= 0 && needed > freeBytes) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%d CPU replica(s) need about %.1f GB"
                    + " for parameters, gradients and optimizer state, but %.1f GB of memory is free; use fewer"
                    + " replicas (--devices cpu:N) or a smaller model", replicas, needed / 1e9, freeBytes / 1e9));
        }
    }

    private static long freeHostMemory() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getFreeMemorySize() : -1;
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
        Devices.Selection sel = Devices.standard().select(cfg.hardware().devices());
        if (launch.isPresent()) {
            if (!sel.cuda() && sel.replicas() > 1) {
                throw new IllegalArgumentException("--devices " + cfg.hardware().devices() + " asks for " + sel.replicas()
                        + " replicas in each of WORLD_SIZE=" + launch.get().worldSize()
                        + " processes; with a multi-process launch use one CPU replica per process (--devices cpu)");
            }
            String one = sel.cuda() ? "cuda:" + sel.gpus().get(launch.get().localRank() % sel.gpus().size()) : "cpu";
            return Devices.standard().open(one);
        }
        return Devices.standard().open(cfg.hardware().devices().toString());
    }

    private Optimizer optimizer() {
        TrainConfig.Optimization o = cfg.optimization();
        return switch (o.optimizer()) {
            case SGD -> new Sgd(o.momentum(), o.nesterov(), o.weightDecay());
            case ADAMW -> AdamW.withWeightDecay(o.weightDecay());
        };
    }

    /**
     * What every process of a job must agree on; compared at rendezvous so a mismatch fails with
     * both sides' values instead of training garbage. With encoded images also how they are decoded:
     * {@code auto} may resolve to another decoder on another host, whose pixels differ in places.
     */
    String fingerprint(Dataset ds, Map<String, String> resumeKey) {
        String images = resumeKey.containsKey("images")
                ? " images=" + resumeKey.get("images") + " decoder=" + resumeKey.get("decoder") : "";
        return String.format(Locale.ROOT, "dataset=%s split=%s model=%s batch=%d seed=%d optimizer=%s lr=%s%s",
                datasetIdentity(ds, cfg.data().trainSplit()), cfg.data().trainSplit(), cfg.job().model(), cfg.job().batchSize(), cfg.job().seed(), cfg.optimization().optimizer(),
                cfg.optimization().lr(), images);
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

    private void finish(TrainResult r, List<TrainingListener> listeners) throws Exception {
        if (r.epochs().isEmpty()) {
            // --resume from a checkpoint at the run's end: nothing was trained or evaluated, and the
            // summary logged by the run that got there stays the last one in metrics.jsonl
            console.line(String.format(Locale.ROOT, "nothing left to train: %s is at step %d, where this run ends"
                    + " (--epochs %d%s); start a new run to train further", r.lastCheckpoint(), r.steps(),
                    cfg.job().epochs(), cfg.job().maxSteps() > 0 ? ", --max-steps " + cfg.job().maxSteps() : ""));
            return;
        }
        for (TrainingListener l : listeners) {
            l.onTrainingEnd(r);
        }
    }
}
