package dev.sluice.engine.train;

import dev.sluice.data.loader.Remainder;
import dev.sluice.data.loader.ShardCache;
import dev.sluice.data.store.StoreOptions;
import dev.sluice.engine.device.DeviceSpec;
import dev.sluice.engine.device.Normalization;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * The embedding API: configure a training run in a few lines and run it.
 *
 * <pre>{@code
 * TrainResult r = TrainingRun.builder()
 *         .data("s3://my-bucket/datasets/fashion-mnist")
 *         .model("cnn")
 *         .epochs(3)
 *         .batchSize(128)
 *         .learningRate(1e-3f)
 *         .runDir(Path.of("runs/cnn"))
 *         .build()
 *         .call();
 * System.out.println(r.evalAccuracy());
 * }</pre>
 */
public final class TrainingRun {

    private final TrainConfig config;
    private final PrintStream out;
    private final Map<String, String> env;
    private final ShardCache cache;

    private TrainingRun(TrainConfig config, PrintStream out, Map<String, String> env, ShardCache cache) {
        this.config = config;
        this.out = out;
        this.env = env;
        this.cache = cache;
    }

    /** A builder with the CLI's defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** The configuration this run uses. */
    public TrainConfig config() {
        return config;
    }

    /** Trains and evaluates; blocks until done. */
    public TrainResult call() throws Exception {
        return new Trainer(config, out, env, false, cache).run();
    }

    /** Collects the options of a run; every setter returns the builder. */
    public static final class Builder {
        private String data;
        private StoreOptions store = StoreOptions.defaults();
        private String trainSplit = TrainDefaults.TRAIN_SPLIT;
        private String evalSplit = TrainDefaults.EVAL_SPLIT;
        private String model = TrainDefaults.MODEL;
        private int epochs = TrainDefaults.EPOCHS;
        private int batchSize = TrainDefaults.BATCH_SIZE;
        private float lr = TrainDefaults.LR;
        private TrainConfig.OptimizerKind optimizer = TrainConfig.OptimizerKind.parse(TrainDefaults.OPTIMIZER_TEXT);
        private float momentum = TrainDefaults.MOMENTUM;
        private boolean nesterov;
        private float weightDecay = TrainDefaults.WEIGHT_DECAY;
        private float clipNorm = TrainDefaults.CLIP_NORM;
        private long warmup = TrainDefaults.WARMUP;
        private TrainConfig.Decay decay = TrainConfig.Decay.parse(TrainDefaults.SCHEDULE_TEXT);
        private long seed = TrainDefaults.SEED;
        private String devices = TrainDefaults.DEVICES;
        private Path runDir;
        private int shuffleWindow = TrainDefaults.SHUFFLE_WINDOW;
        private int prefetch = TrainDefaults.PREFETCH;
        private long maxSteps = TrainDefaults.MAX_STEPS;
        private PrintStream out = new PrintStream(OutputStream.nullOutputStream());
        private Map<String, String> env = Map.of();
        private String checkpointDir;
        private long checkpointEvery = TrainDefaults.CHECKPOINT_EVERY;
        private int keepCheckpoints = TrainDefaults.KEEP_CHECKPOINTS;
        private boolean resume;
        private TrainConfig.NanPolicy onNan = TrainConfig.NanPolicy.parse(TrainDefaults.ON_NAN_TEXT);
        private int logEvery = TrainDefaults.LOG_EVERY;
        private TrainConfig.Inputs inputs = TrainConfig.Inputs.defaults();
        private Remainder remainder = Remainder.valueOf(TrainDefaults.REMAINDER_TEXT.toUpperCase(java.util.Locale.ROOT));
        private String ncclLib;
        private boolean force;
        private ShardCache cache;

        /** Dataset location: a directory, {@code file://} or {@code s3://} URI (required). */
        public Builder data(String location) {
            this.data = location;
            return this;
        }

        /** How to reach the store (S3 endpoint, region, part size, concurrency). */
        public Builder store(StoreOptions options) {
            this.store = options;
            return this;
        }

        public Builder trainSplit(String split) {
            this.trainSplit = split;
            return this;
        }

        /**
         * Split to evaluate after every epoch; null for none; {@code "auto"} (the default) for
         * {@code test}, else {@code val}, else none. A named split the dataset lacks is refused.
         */
        public Builder evalSplit(String split) {
            this.evalSplit = split;
            return this;
        }

        /** Model name from {@link dev.sluice.models.ModelRegistry#builtIn()}: mlp, cnn, resnet18 or gpt. */
        public Builder model(String name) {
            this.model = name;
            return this;
        }

        public Builder epochs(int n) {
            this.epochs = n;
            return this;
        }

        /** Samples per step per replica. */
        public Builder batchSize(int n) {
            this.batchSize = n;
            return this;
        }

        public Builder learningRate(float v) {
            this.lr = v;
            return this;
        }

        /** AdamW with the given weight decay. */
        public Builder adamW(float weightDecay) {
            this.optimizer = TrainConfig.OptimizerKind.ADAMW;
            this.weightDecay = weightDecay;
            return this;
        }

        /** SGD with momentum (Nesterov if asked) and L2 weight decay. */
        public Builder sgd(float momentum, boolean nesterov, float weightDecay) {
            this.optimizer = TrainConfig.OptimizerKind.SGD;
            this.momentum = momentum;
            this.nesterov = nesterov;
            this.weightDecay = weightDecay;
            return this;
        }

        /** Clip gradients to this global L2 norm (0: off). */
        public Builder clipNorm(float v) {
            this.clipNorm = v;
            return this;
        }

        /** Linear warmup steps, then cosine decay (or constant). */
        public Builder schedule(long warmupSteps, boolean cosineDecay) {
            this.warmup = warmupSteps;
            this.decay = cosineDecay ? TrainConfig.Decay.COSINE : TrainConfig.Decay.CONSTANT;
            return this;
        }

        public Builder seed(long v) {
            this.seed = v;
            return this;
        }

        /** {@code auto}, {@code cpu}, {@code cpu:N}, {@code cuda}, {@code cuda:0,1}. */
        public Builder devices(String spec) {
            this.devices = spec;
            return this;
        }

        public Builder runDir(Path dir) {
            this.runDir = dir;
            return this;
        }

        /** Shards open at once (shuffle window) and shards fetched ahead. */
        public Builder loader(int shuffleWindow, int prefetch) {
            this.shuffleWindow = shuffleWindow;
            this.prefetch = prefetch;
            return this;
        }

        /** Stop after this many steps in total (0: no limit). */
        public Builder maxSteps(long n) {
            this.maxSteps = n;
            return this;
        }

        /** Where progress lines go (default: nowhere). */
        public Builder output(PrintStream stream) {
            this.out = stream;
            return this;
        }

        /** Launch environment for multi-process jobs (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT). */
        public Builder environment(Map<String, String> variables) {
            this.env = Map.copyOf(variables);
            return this;
        }

        /**
         * Checkpoints: where (directory or {@code s3://} prefix; null for {@code <runDir>/checkpoints}),
         * every how many steps besides epoch ends (0: epoch ends only), and how many to keep.
         */
        public Builder checkpoints(String location, long everySteps, int keep) {
            this.checkpointDir = location;
            this.checkpointEvery = everySteps;
            this.keepCheckpoints = keep;
            return this;
        }

        /** Continue from the newest valid checkpoint. */
        public Builder resume(boolean on) {
            this.resume = on;
            return this;
        }

        /** Skip batches whose loss is not finite instead of stopping the run. */
        public Builder skipNonFiniteLoss(boolean on) {
            this.onNan = on ? TrainConfig.NanPolicy.SKIP : TrainConfig.NanPolicy.STOP;
            return this;
        }

        /** What to do with the samples of an epoch that do not divide among the replicas (drop or wrap). */
        public Builder remainder(Remainder policy) {
            this.remainder = policy;
            return this;
        }

        /** Keep fetched shards in a local disk cache (LRU within its byte budget); null for none. */
        public Builder cache(ShardCache shardCache) {
            this.cache = shardCache;
            return this;
        }

        /** Where libnccl.so.2 is (file or directory), for several GPUs; default: LD_LIBRARY_PATH. */
        public Builder ncclLibrary(String path) {
            this.ncclLib = path;
            return this;
        }

        /** Allow more CPU replicas than cores (refused otherwise). */
        public Builder force(boolean on) {
            this.force = on;
            return this;
        }

        /**
         * Which fields feed the model (null: the manifest's first image field and first integer
         * scalar field).
         */
        public Builder fields(String imageField, String labelField) {
            TrainConfig.Inputs i = inputs;
            inputs = new TrainConfig.Inputs(imageField, labelField, i.imageSize(), i.crop(), i.flip(), i.normalize(),
                    i.strictDecode(), i.decoder());
            return this;
        }

        /**
         * How encoded (jpeg/png) images are decoded for training: the side of the square, and the
         * training augmentation ({@code none}, or a list of {@code rrc} and {@code flip}; evaluation
         * centre-crops after rrc and resizes the whole image otherwise).
         */
        public Builder images(int size, String augment) {
            TrainConfig.Augment a = TrainConfig.Augment.parse(augment);
            TrainConfig.Inputs i = inputs;
            inputs = new TrainConfig.Inputs(i.imageField(), i.labelField(), size, a.crop(), a.flip(), i.normalize(),
                    i.strictDecode(), i.decoder());
            return this;
        }

        /** Per-channel image statistics; null for ImageNet's on encoded images and the dataset's on stored pixels. */
        public Builder normalize(Normalization n) {
            TrainConfig.Inputs i = inputs;
            inputs = new TrainConfig.Inputs(i.imageField(), i.labelField(), i.imageSize(), i.crop(), i.flip(), n,
                    i.strictDecode(), i.decoder());
            return this;
        }

        /** Fail the run on an image that does not decode, instead of skipping it with a warning. */
        public Builder strictDecode(boolean on) {
            TrainConfig.Inputs i = inputs;
            inputs = new TrainConfig.Inputs(i.imageField(), i.labelField(), i.imageSize(), i.crop(), i.flip(),
                    i.normalize(), on, i.decoder());
            return this;
        }

        /**
         * The image decoder: {@code auto} (default: OpenCV, else ImageIO), {@code opencv}, {@code imageio},
         * or {@code nvjpeg} (nvJPEG on cuda:0, pixels copied back to the host).
         *
         * @throws IllegalArgumentException for an unknown name or a decoder that cannot load here
         */
        public Builder decoder(String name) {
            TrainConfig.Inputs i = inputs;
            inputs = new TrainConfig.Inputs(i.imageField(), i.labelField(), i.imageSize(), i.crop(), i.flip(),
                    i.normalize(), i.strictDecode(), name);
            return this;
        }

        /** Write a {@code step} line to metrics.jsonl every this many steps. */
        public Builder logEvery(int steps) {
            this.logEvery = steps;
            return this;
        }

        /**
         * Validates and builds the run.
         *
         * @throws IllegalArgumentException naming the option that is wrong
         */
        public TrainingRun build() {
            Objects.requireNonNull(data, "data(location) is required");
            TrainConfig cfg = new TrainConfig(
                    new TrainConfig.Data(data, store, trainSplit, evalSplit, shuffleWindow, prefetch, remainder),
                    new TrainConfig.Job(model, epochs, batchSize, seed, maxSteps),
                    new TrainConfig.Optimization(optimizer, lr, momentum, nesterov, weightDecay, clipNorm, warmup, decay,
                            onNan),
                    new TrainConfig.Checkpointing(checkpointDir, checkpointEvery, keepCheckpoints, resume),
                    new TrainConfig.Output(runDir, false, false, logEvery),
                    new TrainConfig.Hardware(DeviceSpec.parse(devices), ncclLib, force), inputs);
            return new TrainingRun(cfg, out, env, cache);
        }
    }
}
