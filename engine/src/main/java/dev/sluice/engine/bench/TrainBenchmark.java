package dev.sluice.engine.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.Loss;
import ai.djl.util.Pair;
import dev.sluice.data.format.Dataset;
import dev.sluice.data.loader.EpochStream;
import dev.sluice.data.loader.Loader;
import dev.sluice.data.loader.LoaderConfig;
import dev.sluice.data.loader.LoaderState;
import dev.sluice.data.memory.DirectAllocator;
import dev.sluice.engine.device.DeviceBatch;
import dev.sluice.engine.device.FeedSpec;
import dev.sluice.engine.device.HostFeeder;
import dev.sluice.engine.device.PyTorchInternals;
import dev.sluice.engine.train.EpochSummary;
import dev.sluice.engine.train.TrainResult;
import dev.sluice.engine.train.Trainer;
import dev.sluice.engine.train.TrainingRun;
import dev.sluice.models.BuiltModel;
import dev.sluice.models.InputSpec;
import dev.sluice.models.ModelRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The trainer's own overhead: Sluice's {@link Trainer} (loader, feeder, step loop, listeners) against
 * a raw DJL loop over the same split already decoded into one in-memory tensor, with the same model,
 * initial parameters, batch size, plain SGD and PyTorch thread count, one CPU replica. The two
 * alternate in one run (trainer, raw, trainer, raw, ...) so a noisy machine slows both alike.
 *
 * <p>The raw loop is the least a DJL loop does: slice a batch view, forward, loss, backward,
 * {@code w -= lr * grad}, zero the gradients. It reads its loss only after its last step, and keeps
 * no accuracy. Its losses equal those of DJL's own {@code Trainer} on the same batches (the test).
 */
public final class TrainBenchmark {

    /**
     * What both sides train.
     *
     * @param model a built-in model name
     * @param batchSize samples per step
     * @param lr constant SGD learning rate (no momentum, no weight decay)
     * @param epochs passes over the split per measurement
     * @param seed parameter initialisation seed (both sides start from the same parameters)
     */
    public record Settings(String model, int batchSize, float lr, int epochs, long seed) {
        public Settings {
            if (batchSize < 1 || epochs < 1 || !(lr > 0) || Float.isInfinite(lr)) {
                throw new IllegalArgumentException("batch size and epochs must be >= 1 and lr a positive finite"
                        + " number (got " + batchSize + ", " + epochs + ", " + lr + ")");
            }
        }
    }

    /**
     * One timed pass.
     *
     * @param mode {@code trainer} or {@code raw}
     * @param round round number from 1 (0 is the warm-up)
     * @param samples samples trained on
     * @param steps optimizer steps taken
     * @param seconds wall time of the training steps (the trainer's epochs, not its setup or evaluation)
     * @param computeMsPerStep the trainer's forward, backward and update per step; the raw loop's whole step
     * @param feedMsPerStep the trainer's wait for data plus its uint8-to-float conversion per step; 0 for raw
     * @param lastLoss loss of the last step
     */
    public record Measurement(String mode, int round, long samples, long steps, double seconds,
                              double computeMsPerStep, double feedMsPerStep, float lastLoss) {
        public double samplesPerSecond() {
            return samples / seconds;
        }
    }

    /** The split decoded once into host memory: float32 NCHW images as the trainer's feeder makes them, int64 labels. */
    public static final class InMemorySplit implements AutoCloseable {
        private final NDManager manager;
        private final NDArray images;
        private final NDArray labels;

        private InMemorySplit(NDManager manager, NDArray images, NDArray labels) {
            this.manager = manager;
            this.images = images;
            this.labels = labels;
        }

        /** Wraps arrays the caller made (they are closed with this). */
        public static InMemorySplit of(NDArray images, NDArray labels) {
            NDManager m = NDManager.newBaseManager(Device.cpu());
            images.attach(m);
            labels.attach(m);
            return new InMemorySplit(m, images, labels);
        }

        public NDArray images() {
            return images;
        }

        public NDArray labels() {
            return labels;
        }

        public long samples() {
            return labels.size();
        }

        @Override
        public void close() {
            manager.close();
        }
    }

    /**
     * The measured rounds side by side.
     *
     * @param rounds pairs compared (the warm-up left out)
     * @param medianRatio median over rounds of trainer samples/s over the same round's raw samples/s
     * @param minRatio lowest round ratio
     * @param maxRatio highest round ratio
     * @param trainerSamplesPerSecond median of the trainer's rounds
     * @param rawSamplesPerSecond median of the raw loop's rounds
     */
    public record Summary(int rounds, double medianRatio, double minRatio, double maxRatio,
                          double trainerSamplesPerSecond, double rawSamplesPerSecond) {}

    /** Pairs each measured round's trainer and raw pass; the warm-up (round 0) is left out. */
    public static Summary summarize(List<Measurement> all) {
        List<Double> ratios = new ArrayList<>();
        List<Double> trainer = new ArrayList<>();
        List<Double> raw = new ArrayList<>();
        for (Measurement t : all) {
            if (t.round() == 0 || !t.mode().equals("trainer")) {
                continue;
            }
            Measurement r = all.stream().filter(m -> m.round() == t.round() && m.mode().equals("raw")).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("round " + t.round() + " has no raw pass"));
            ratios.add(t.samplesPerSecond() / r.samplesPerSecond());
            trainer.add(t.samplesPerSecond());
            raw.add(r.samplesPerSecond());
        }
        if (ratios.isEmpty()) {
            throw new IllegalArgumentException("no measured round (only the warm-up)");
        }
        return new Summary(ratios.size(), median(ratios), ratios.stream().min(Double::compare).orElseThrow(),
                ratios.stream().max(Double::compare).orElseThrow(), median(trainer), median(raw));
    }

    private static double median(List<Double> xs) {
        List<Double> s = xs.stream().sorted().toList();
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    private final String location;
    private final Dataset dataset;
    private final String split;
    private final Settings settings;
    private final int intraOpThreads;

    /**
     * @param location the dataset's location, as {@code train --data} takes it
     * @param dataset the dataset opened from it
     * @param split the training split
     */
    public TrainBenchmark(String location, Dataset dataset, String split, Settings settings) {
        this.location = location;
        this.dataset = dataset;
        this.split = split;
        this.settings = settings;
        this.intraOpThreads = Trainer.intraOpThreads(Runtime.getRuntime().availableProcessors(), 1);
    }

    /** PyTorch intra-op threads both sides use (the trainer's own default for one replica). */
    public int intraOpThreads() {
        return intraOpThreads;
    }

    /**
     * A warm-up pair (round 0), then {@code rounds} pairs, trainer first in each.
     *
     * @param onEach called with each measurement as it is made (to print progress)
     */
    public List<Measurement> run(int rounds, java.util.function.Consumer<Measurement> onEach) throws Exception {
        List<Measurement> all = new ArrayList<>();
        Path work = Files.createTempDirectory("sluice-bench-train");
        try (InMemorySplit data = decode(dataset, split)) {
            for (int r = 0; r <= rounds; r++) {
                Measurement t = trainer(work.resolve("run-" + r), r);
                onEach.accept(t);
                all.add(t);
                Measurement raw = raw(data, r);
                onEach.accept(raw);
                all.add(raw);
            }
        } finally {
            deleteTree(work);
        }
        return all;
    }

    /** One pass of the trainer, without evaluation, checkpoints or output. */
    public Measurement trainer(Path runDir, int round) throws Exception {
        TrainResult r = TrainingRun.builder().data(location).trainSplit(split).evalSplit(null)
                .model(settings.model()).epochs(settings.epochs()).batchSize(settings.batchSize())
                .learningRate(settings.lr()).sgd(0f, false, 0f).schedule(0, false).seed(settings.seed())
                .devices("cpu").runDir(runDir).output(new PrintStream(OutputStream.nullOutputStream()))
                .build().call();
        long steps = 0;
        double seconds = 0;
        double compute = 0;
        double feed = 0;
        for (EpochSummary e : r.epochs()) {
            steps += e.steps();
            seconds += e.seconds();
            compute += e.timing().computeMs() * e.steps();
            feed += (e.timing().dataWaitMs() + e.timing().hostToDeviceMs()) * e.steps();
        }
        double lastLoss = r.epochs().isEmpty() ? Float.NaN : r.epochs().get(r.epochs().size() - 1).trainLoss();
        return new Measurement("trainer", round, steps * settings.batchSize(), steps, seconds,
                compute / Math.max(1, steps), feed / Math.max(1, steps), (float) lastLoss);
    }

    /**
     * One pass of the raw loop over the in-memory split, from the trainer's initial parameters, on a
     * new thread as the trainer steps on a new replica thread: PyTorch's intra-op settings are per
     * thread in part (OpenMP), and the same loop on the JVM's main thread ran 2-5x slower.
     */
    public Measurement raw(InMemorySplit data, int round) throws Exception {
        java.util.concurrent.ExecutorService one = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "sluice-bench-raw");
            t.setDaemon(true);
            return t;
        });
        try {
            return one.submit(() -> rawOnThisThread(data, round)).get();
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof Exception ex) {
                throw ex;
            }
            throw e;
        } finally {
            one.shutdown();
        }
    }

    private Measurement rawOnThisThread(InMemorySplit data, int round) {
        PyTorchInternals.setIntraOpThreads(intraOpThreads);
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            BuiltModel model = initialModel(manager);
            long perEpoch = data.samples() / settings.batchSize();
            long steps = perEpoch * settings.epochs();
            long t0 = System.nanoTime();
            float loss = rawLoop(model, data, settings.batchSize(), settings.lr(), steps);
            double seconds = (System.nanoTime() - t0) / 1e9;
            return new Measurement("raw", round, steps * settings.batchSize(), steps, seconds,
                    seconds * 1e3 / Math.max(1, steps), 0, loss);
        }
    }

    /**
     * The model as the trainer's replica 0 builds it: the same seed before creation, so the same
     * initial parameters.
     */
    public BuiltModel initialModel(NDManager manager) {
        FeedSpec feed = FeedSpec.from(dataset.manifest());
        return initialModel(manager, settings.model(), feed, settings.seed());
    }

    /** As above, for a feed and seed given explicitly. */
    public static BuiltModel initialModel(NDManager manager, String model, FeedSpec feed, long seed) {
        Engine.getInstance().setRandomSeed(Long.hashCode(seed));
        BuiltModel m = ModelRegistry.builtIn().create(model,
                InputSpec.image(feed.imageField(), feed.channels(), feed.height(), feed.width()), feed.numClasses());
        m.initialize(manager);
        return m;
    }

    /**
     * The raw loop: {@code steps} steps of plain SGD over consecutive batches of {@code data}
     * (wrapping at the end of each epoch; a final partial batch is dropped, as the trainer drops it).
     *
     * @return the loss of the last step
     */
    public static float rawLoop(BuiltModel model, InMemorySplit data, int batchSize, float lr, long steps) {
        long perEpoch = data.samples() / batchSize;
        if (perEpoch == 0) {
            throw new IllegalArgumentException(data.samples() + " samples are fewer than one batch of " + batchSize);
        }
        List<NDArray> params = new ArrayList<>();
        for (Pair<String, Parameter> p : model.block().getParameters()) {
            if (p.getValue().requiresGradient()) {
                NDArray a = p.getValue().getArray();
                a.setRequiresGradient(true);
                params.add(a);
            }
        }
        ParameterStore store = new ParameterStore(data.manager, false);
        Loss lossFn = Loss.softmaxCrossEntropyLoss();
        float last = Float.NaN;
        for (long s = 0; s < steps; s++) {
            long start = (s % perEpoch) * batchSize;
            try (NDManager step = data.manager.newSubManager()) {
                NDIndex rows = new NDIndex().addSliceDim(start, start + batchSize);
                NDArray x = data.images.get(step, rows);
                NDArray y = data.labels.get(step, rows);
                NDArray loss;
                // autograd as PyTorch runs it, not through DJL's GradientCollector, whose every use
                // walks all live arrays of the process to zero gradients (it made this loop 2x slower
                // than the trainer): the raw loop is the limit, not another framework's overhead
                PyTorchInternals.setGradMode(true);
                try {
                    NDList out = model.block().forward(store, new NDList(x), true);
                    loss = lossFn.evaluate(new NDList(y), out);
                    PyTorchInternals.backward(loss, step.ones(loss.getShape(), loss.getDataType()));
                } finally {
                    PyTorchInternals.setGradMode(false);
                }
                for (NDArray w : params) {
                    NDArray g = w.getGradient();
                    g.attach(step);
                    NDArray update = g.mul(lr);
                    update.attach(step);
                    w.subi(update);
                    g.subi(g);
                }
                if (s == steps - 1) {
                    last = loss.getFloat();
                }
            }
        }
        return last;
    }

    /**
     * Decodes the whole split in stored order with the trainer's own CPU conversion (uint8 to
     * normalized float32), into one images and one labels tensor.
     */
    public static InMemorySplit decode(Dataset dataset, String split) throws IOException {
        FeedSpec feed = FeedSpec.from(dataset.manifest());
        NDManager manager = NDManager.newBaseManager(Device.cpu());
        try {
            LoaderConfig cfg = LoaderConfig.evaluation(split, 1024)
                    .withFields(List.of(feed.imageField(), feed.labelField()));
            List<NDArray> images = new ArrayList<>();
            List<NDArray> labels = new ArrayList<>();
            try (NDManager parts = manager.newSubManager();
                 Loader loader = new Loader(dataset, cfg, new DirectAllocator());
                 EpochStream stream = loader.open(LoaderState.start(0, 0));
                 HostFeeder feeder = new HostFeeder(stream, parts, feed, feed.transform(), 1)) {
                for (DeviceBatch b = feeder.next(); b != null; b = feeder.next()) {
                    try (DeviceBatch batch = b) {
                        // the feeder reuses its tensor: keep a copy of each batch
                        NDArray x = batch.inputs().duplicate();
                        NDArray y = batch.labels().duplicate();
                        x.attach(parts);
                        y.attach(parts);
                        images.add(x);
                        labels.add(y);
                    }
                }
                NDArray allImages = NDArrays.concat(new NDList(images));
                NDArray allLabels = NDArrays.concat(new NDList(labels));
                allImages.attach(manager);
                allLabels.attach(manager);
                return new InMemorySplit(manager, allImages, allLabels);
            }
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
