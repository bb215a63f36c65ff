package dev.sluice.engine.cli;

import dev.sluice.data.loader.Remainder;
import dev.sluice.engine.datasets.DefaultDataset;
import dev.sluice.engine.device.DeviceSpec;
import dev.sluice.engine.device.Normalization;
import dev.sluice.engine.train.InvalidRunException;
import dev.sluice.engine.train.TrainConfig;
import dev.sluice.engine.train.TrainDefaults;
import dev.sluice.engine.train.TrainResult;
import dev.sluice.engine.train.Trainer;
import dev.sluice.models.ModelRegistry;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code train.jar train}: the default command. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        // the --model description lists the registry's models (ModelHelp)
        resourceBundle = "dev.sluice.engine.cli.ModelHelp",
        description = {
            "Train a model on a Sluice dataset streamed from disk or S3, evaluating after every epoch.",
            "Without --data, imports Fashion-MNIST from Debian's dataset-fashion-mnist package once and trains on it.",
            "Prints the run directory, a progress bar, a summary per epoch and a final line with the accuracy on"
                    + " the evaluation split (with --json, stdout holds only JSON lines and the rest goes to stderr)."
        })
public final class TrainCommand implements Callable<Integer> {

    /** Exit code of a run stopped by a signal after writing its checkpoint. */
    public static final int STOPPED = 143;

    @Option(names = "--eval-split", defaultValue = TrainDefaults.EVAL_SPLIT,
            description = "Split to evaluate after each epoch, or 'none'; auto takes test, else val, else evaluates"
                    + " nothing (default: ${DEFAULT-VALUE}).")
    String evalSplit;

    @Option(names = "--model", defaultValue = TrainDefaults.MODEL, descriptionKey = ModelHelp.KEY,
            description = "Model from the registry (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--epochs", defaultValue = TrainDefaults.EPOCHS_TEXT, description = "Epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch-size", defaultValue = TrainDefaults.BATCH_SIZE_TEXT,
            description = "Samples per step per replica (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--lr", defaultValue = TrainDefaults.LR_TEXT, description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    float lr;

    @Option(names = "--optimizer", defaultValue = TrainDefaults.OPTIMIZER_TEXT, description = "adamw or sgd (default: ${DEFAULT-VALUE}).")
    String optimizer;

    @Option(names = "--momentum", defaultValue = TrainDefaults.MOMENTUM_TEXT, description = "SGD momentum (default: ${DEFAULT-VALUE}).")
    float momentum;

    @Option(names = "--nesterov", description = "Nesterov momentum for SGD.")
    boolean nesterov;

    @Option(names = "--weight-decay", defaultValue = TrainDefaults.WEIGHT_DECAY_TEXT, description = "Weight decay (default: ${DEFAULT-VALUE}).")
    float weightDecay;

    @Option(names = "--clip-norm", defaultValue = TrainDefaults.CLIP_NORM_TEXT,
            description = "Clip gradients to this global L2 norm; 0 disables (default: ${DEFAULT-VALUE}).")
    float clipNorm;

    @Option(names = "--warmup", defaultValue = TrainDefaults.WARMUP_TEXT, description = "Linear warmup steps (default: ${DEFAULT-VALUE}).")
    long warmup;

    @Option(names = "--schedule", defaultValue = TrainDefaults.SCHEDULE_TEXT,
            description = "Learning-rate schedule after warmup: cosine or constant (default: ${DEFAULT-VALUE}).")
    String schedule;

    @Option(names = "--seed", defaultValue = TrainDefaults.SEED_TEXT,
            description = "Seed of initialization and data order (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--devices", defaultValue = TrainDefaults.DEVICES,
            description = "auto, cpu, cpu:N (N CPU replicas), cuda or cuda:0,1 (default: ${DEFAULT-VALUE}).")
    String devices;

    @Option(names = "--force", description = "Run more CPU replicas than there are cores (refused otherwise).")
    boolean force;

    @Option(names = "--run-dir", paramLabel = "DIR",
            description = "Where metrics, plots and checkpoints go (default: a new runs/<time>-<model>[-N]; with --resume and"
                    + " no --checkpoint-dir, the newest runs/*-<model> that holds checkpoints).")
    Path runDir;

    @Option(names = "--shuffle-window", defaultValue = TrainDefaults.SHUFFLE_WINDOW_TEXT,
            description = "Shards open at once for the bounded shuffle (default: ${DEFAULT-VALUE}).")
    int shuffleWindow;

    @Option(names = "--prefetch", defaultValue = TrainDefaults.PREFETCH_TEXT, description = "Shards fetched ahead (default: ${DEFAULT-VALUE}).")
    int prefetch;

    @Option(names = "--max-steps", defaultValue = TrainDefaults.MAX_STEPS_TEXT,
            description = "Stop after this many steps in total; 0 for no limit (default: ${DEFAULT-VALUE}).")
    long maxSteps;

    @Option(names = "--progress", defaultValue = "auto",
            description = "Progress bar: auto (when the output is a terminal), always or never (default: ${DEFAULT-VALUE}).")
    String progress;

    @Option(names = "--checkpoint-dir", paramLabel = "LOCATION",
            description = "Where checkpoints go: a directory or s3://bucket/prefix (default: <run-dir>/checkpoints).")
    String checkpointDir;

    @Option(names = "--checkpoint-every", defaultValue = TrainDefaults.CHECKPOINT_EVERY_TEXT, paramLabel = "STEPS",
            description = "Also checkpoint every this many steps; checkpoints are always taken at epoch ends"
                    + " and on SIGTERM/Ctrl-C (default: ${DEFAULT-VALUE}).")
    long checkpointEvery;

    @Option(names = "--keep-checkpoints", defaultValue = TrainDefaults.KEEP_CHECKPOINTS_TEXT,
            description = "Keep the newest K checkpoints (default: ${DEFAULT-VALUE}).")
    int keepCheckpoints;

    @Option(names = "--resume",
            description = "Continue from the newest valid checkpoint (same run dir or --checkpoint-dir); refuses one"
                    + " taken with another configuration and says what differs.")
    boolean resume;

    @Option(names = "--on-nan", defaultValue = TrainDefaults.ON_NAN_TEXT,
            description = "When the loss is NaN or infinite: stop (with the step and the last good checkpoint) or"
                    + " skip the batch (default: ${DEFAULT-VALUE}).")
    String onNan;

    @Option(names = "--remainder", defaultValue = TrainDefaults.REMAINDER_TEXT,
            description = "Samples of an epoch that do not divide among the replicas: drop them (a different few"
                    + " each epoch) or wrap (repeat a few from the start) (default: ${DEFAULT-VALUE}).")
    String remainder;

    @Option(names = "--nccl-lib", paramLabel = "PATH",
            description = "libnccl.so.2 or its directory, for several GPUs (default: found through LD_LIBRARY_PATH;"
                    + " e.g. nvidia/nccl/lib of the nvidia-nccl-cu12 Python wheel: the CUDA 12 build).")
    String ncclLib;

    @Option(names = "--log-every", defaultValue = TrainDefaults.LOG_EVERY_TEXT,
            description = "Write the step loss to metrics.jsonl every this many steps (default: ${DEFAULT-VALUE}).")
    int logEvery;

    @Option(names = "--image-field", paramLabel = "NAME",
            description = "The image field (default: the manifest's first uint8 image field or jpeg/png bytes field).")
    String imageField;

    @Option(names = "--label-field", paramLabel = "NAME",
            description = "The label field (default: the manifest's first integer scalar field).")
    String labelField;

    @Option(names = "--image-size", defaultValue = TrainDefaults.IMAGE_SIZE_TEXT, paramLabel = "PX",
            description = "Side of the square that encoded (jpeg/png) images are decoded to (default: ${DEFAULT-VALUE}).")
    int imageSize;

    @Option(names = "--augment", defaultValue = TrainDefaults.AUGMENT_TEXT,
            description = "Training augmentation of encoded images: none, or a list of rrc (random-resized-crop) and"
                    + " flip; evaluation centre-crops after rrc, else resizes the whole image (default: ${DEFAULT-VALUE}).")
    String augment;

    @Option(names = "--normalize", defaultValue = TrainDefaults.NORMALIZE_TEXT,
            description = "Per-channel image statistics: imagenet, dataset (the manifest's <image>.mean/.std) or"
                    + " none; auto is imagenet for encoded images and dataset for stored pixels (default: ${DEFAULT-VALUE}).")
    String normalize;

    @Option(names = "--strict-decode",
            description = "Fail the run on an image that does not decode (default: skip it with a warning naming the"
                    + " shard and sample).")
    boolean strictDecode;

    @Option(names = "--decoder", defaultValue = TrainDefaults.DECODER,
            description = "Image decoder: auto (OpenCV/libjpeg-turbo where its natives load, else ImageIO), opencv,"
                    + " imageio, or nvjpeg (nvJPEG on cuda:0, needs libnvjpeg.so.12; pixels are copied back to the"
                    + " host) (default: ${DEFAULT-VALUE}).")
    String decoder;

    @Mixin
    DataOptionsMixin dataset;

    @Mixin
    CacheOptionsMixin cache;

    @Override
    public Integer call() throws Exception {
        // with --json, stdout carries only JSON lines: what people read goes to stderr
        PrintStream human = dataset.json ? System.err : System.out;
        // every option is checked before the default dataset is imported or anything is written
        TrainConfig cfg = config(dataset.location(() -> "(default dataset)"));
        if (dataset.data == null) {
            cfg = config(DefaultDataset.ensure(human).toString());
        }
        TrainResult r;
        try {
            r = new Trainer(cfg, System.out, human, System.getenv(), true, cache.open()).run();
        } catch (InvalidRunException e) {
            // refused before the run wrote anything: the user's to fix
            throw new UserException(e.getMessage());
        }
        // stopped by SIGTERM/Ctrl-C: 128 + 15, as a shell reports a process ended by SIGTERM, so a
        // scheduler knows the run did not finish (after its checkpoint, plots and summary)
        return r.stopped() ? STOPPED : r.steps() > 0 ? 0 : 1;
    }

    /** The run's configuration from the options; every wrong value is a usage error. */
    TrainConfig config(String location) throws java.io.IOException {
        Path dir = runDir != null ? runDir
                : resume && checkpointDir == null ? latestRun(model) : null;
        boolean bar = ProgressMode.bar(progress);
        if (!ModelRegistry.builtIn().names().contains(model)) {
            throw new UserException("--model " + model + ": no such model; models: "
                    + String.join(", ", ModelRegistry.builtIn().names()));
        }
        try {
            Remainder rem = switch (remainder) {
                case "drop" -> Remainder.DROP;
                case "wrap" -> Remainder.WRAP;
                default -> throw new IllegalArgumentException("--remainder must be drop or wrap, not '" + remainder + "'");
            };
            TrainConfig cfg = new TrainConfig(
                    new TrainConfig.Data(location, dataset.storeOptions(), dataset.split, evalSplit.equals("none") ? null : evalSplit,
                            shuffleWindow, prefetch, rem),
                    new TrainConfig.Job(model, epochs, batchSize, seed, maxSteps),
                    new TrainConfig.Optimization(TrainConfig.OptimizerKind.parse(optimizer), lr, momentum, nesterov,
                            weightDecay, clipNorm, warmup, TrainConfig.Decay.parse(schedule),
                            TrainConfig.NanPolicy.parse(onNan)),
                    new TrainConfig.Checkpointing(checkpointDir, checkpointEvery, keepCheckpoints, resume),
                    new TrainConfig.Output(dir, bar, dataset.json, logEvery),
                    new TrainConfig.Hardware(DeviceSpec.parse(devices), ncclLib, force),
                    inputs());
            cfg.hardware().checkCores(Runtime.getRuntime().availableProcessors());
            return cfg;
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
    }

    private TrainConfig.Inputs inputs() {
        TrainConfig.Augment a = TrainConfig.Augment.parse(augment);
        return new TrainConfig.Inputs(imageField, labelField, imageSize, a.crop(), a.flip(),
                normalize.equals("auto") ? null : Normalization.parse(normalize), strictDecode, decoder);
    }

    /** The newest {@code runs/*-MODEL} directory that holds checkpoints, for a bare {@code --resume}. */
    static Path latestRun(String model) throws java.io.IOException {
        Path runs = Path.of("runs");
        if (java.nio.file.Files.isDirectory(runs)) {
            try (var dirs = java.nio.file.Files.list(runs)) {
                var found = dirs.filter(d -> d.getFileName().toString().endsWith("-" + model))
                        .filter(d -> java.nio.file.Files.isDirectory(d.resolve("checkpoints")))
                        .max(java.util.Comparator.comparing(d -> d.getFileName().toString()));
                if (found.isPresent()) {
                    return found.get();
                }
            }
        }
        throw new UserException("--resume: no earlier run of model '" + model + "' with checkpoints under "
                + runs.toAbsolutePath() + "; pass --run-dir DIR or --checkpoint-dir LOCATION of the run to continue");
    }
}
