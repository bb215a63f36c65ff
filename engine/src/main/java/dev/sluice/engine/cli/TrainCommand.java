package dev.sluice.engine.cli;

import dev.sluice.data.loader.Remainder;
import dev.sluice.engine.train.TrainConfig;
import dev.sluice.engine.train.TrainResult;
import dev.sluice.engine.train.Trainer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code train.jar train}: the default command. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Train a model on a Sluice dataset streamed from disk or S3, evaluating after every epoch.",
            "Without --data, imports Fashion-MNIST from Debian's dataset-fashion-mnist package once and trains on it.",
            "Prints the run directory, a progress bar, a summary per epoch and a final line with the test accuracy."
        })
public final class TrainCommand implements Callable<Integer> {

    @Option(names = "--data", paramLabel = "LOCATION",
            description = "Dataset: a directory, file:///dir or s3://bucket/prefix (default: Fashion-MNIST in the cache).")
    String data;

    @Option(names = "--split", defaultValue = "train", description = "Split to train on (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--eval-split", defaultValue = "test",
            description = "Split to evaluate after each epoch; 'none' to skip (default: ${DEFAULT-VALUE}).")
    String evalSplit;

    @Option(names = "--model", defaultValue = "mlp",
            description = "Model: mlp, cnn, resnet18, gpt-small (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--epochs", defaultValue = "5", description = "Epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch-size", defaultValue = "128",
            description = "Samples per step per replica (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--lr", defaultValue = "0.001", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    float lr;

    @Option(names = "--optimizer", defaultValue = "adamw", description = "adamw or sgd (default: ${DEFAULT-VALUE}).")
    String optimizer;

    @Option(names = "--momentum", defaultValue = "0.9", description = "SGD momentum (default: ${DEFAULT-VALUE}).")
    float momentum;

    @Option(names = "--nesterov", description = "Nesterov momentum for SGD.")
    boolean nesterov;

    @Option(names = "--weight-decay", defaultValue = "0", description = "Weight decay (default: ${DEFAULT-VALUE}).")
    float weightDecay;

    @Option(names = "--clip-norm", defaultValue = "0",
            description = "Clip gradients to this global L2 norm; 0 disables (default: ${DEFAULT-VALUE}).")
    float clipNorm;

    @Option(names = "--warmup", defaultValue = "0", description = "Linear warmup steps (default: ${DEFAULT-VALUE}).")
    long warmup;

    @Option(names = "--schedule", defaultValue = "cosine",
            description = "Learning-rate schedule after warmup: cosine or constant (default: ${DEFAULT-VALUE}).")
    String schedule;

    @Option(names = "--seed", defaultValue = "42",
            description = "Seed of initialization and data order (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--devices", defaultValue = "auto",
            description = "auto, cpu, cpu:N (N CPU replicas), cuda or cuda:0,1 (default: ${DEFAULT-VALUE}).")
    String devices;

    @Option(names = "--run-dir", paramLabel = "DIR",
            description = "Where metrics, plots and checkpoints go (default: runs/<time>-<model>; with --resume and"
                    + " no --checkpoint-dir, the newest runs/*-<model> that holds checkpoints).")
    Path runDir;

    @Option(names = "--shuffle-window", defaultValue = "4",
            description = "Shards open at once for the bounded shuffle (default: ${DEFAULT-VALUE}).")
    int shuffleWindow;

    @Option(names = "--prefetch", defaultValue = "2", description = "Shards fetched ahead (default: ${DEFAULT-VALUE}).")
    int prefetch;

    @Option(names = "--max-steps", defaultValue = "0",
            description = "Stop after this many steps in total; 0 for no limit (default: ${DEFAULT-VALUE}).")
    long maxSteps;

    @Option(names = "--progress", defaultValue = "auto",
            description = "Progress bar: auto (when the output is a terminal), always or never (default: ${DEFAULT-VALUE}).")
    String progress;

    @Option(names = "--json", description = "Also print per-epoch and final summaries as JSON lines.")
    boolean json;

    @Option(names = "--checkpoint-dir", paramLabel = "LOCATION",
            description = "Where checkpoints go: a directory or s3://bucket/prefix (default: <run-dir>/checkpoints).")
    String checkpointDir;

    @Option(names = "--checkpoint-every", defaultValue = "0", paramLabel = "STEPS",
            description = "Also checkpoint every this many steps; checkpoints are always taken at epoch ends"
                    + " and on SIGTERM/Ctrl-C (default: ${DEFAULT-VALUE}).")
    long checkpointEvery;

    @Option(names = "--keep-checkpoints", defaultValue = "3",
            description = "Keep the newest K checkpoints (default: ${DEFAULT-VALUE}).")
    int keepCheckpoints;

    @Option(names = "--resume",
            description = "Continue from the newest valid checkpoint (same run dir or --checkpoint-dir); refuses one"
                    + " taken with another configuration and says what differs.")
    boolean resume;

    @Option(names = "--on-nan", defaultValue = "stop",
            description = "When the loss is NaN or infinite: stop (with the step and the last good checkpoint) or"
                    + " skip the batch (default: ${DEFAULT-VALUE}).")
    String onNan;

    @Option(names = "--remainder", defaultValue = "drop",
            description = "Samples of an epoch that do not divide among the replicas: drop them (a different few"
                    + " each epoch) or wrap (repeat a few from the start) (default: ${DEFAULT-VALUE}).")
    String remainder;

    @Option(names = "--nccl-lib", paramLabel = "PATH",
            description = "libnccl.so.2 or its directory, for several GPUs (default: found through LD_LIBRARY_PATH;"
                    + " e.g. the nvidia-nccl-cu13 Python wheel's nvidia/nccl/lib).")
    String ncclLib;

    @Option(names = "--log-every", defaultValue = "50",
            description = "Write the step loss to metrics.jsonl every this many steps (default: ${DEFAULT-VALUE}).")
    int logEvery;

    @Mixin
    StoreOptionsMixin store;

    @Mixin
    CacheOptionsMixin cache;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        String location = data != null ? data : DefaultDataset.ensure(out).toString();
        Path dir = runDir != null ? runDir
                : resume && checkpointDir == null ? latestRun(model)
                : Path.of("runs", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-" + model);
        if (!schedule.equals("cosine") && !schedule.equals("constant")) {
            throw new UserException("--schedule must be cosine or constant, not '" + schedule + "'");
        }
        boolean bar = switch (progress) {
            case "always" -> true;
            case "never" -> false;
            case "auto" -> System.console() != null;
            default -> throw new UserException("--progress must be auto, always or never, not '" + progress + "'");
        };
        if (!remainder.equals("drop") && !remainder.equals("wrap")) {
            throw new UserException("--remainder must be drop or wrap, not '" + remainder + "'");
        }
        if (!onNan.equals("stop") && !onNan.equals("skip")) {
            throw new UserException("--on-nan must be stop or skip, not '" + onNan + "'");
        }
        TrainConfig cfg;
        try {
            cfg = new TrainConfig(location, store.toOptions(), split, evalSplit.equals("none") ? null : evalSplit,
                    model, epochs, batchSize, lr, optimizer, momentum, nesterov, weightDecay, clipNorm, warmup,
                    schedule.equals("cosine"), seed, devices, dir, shuffleWindow, prefetch, maxSteps, bar, json,
                    checkpointDir, checkpointEvery, keepCheckpoints, resume, onNan.equals("skip"), logEvery,
                    remainder.equals("wrap") ? Remainder.WRAP : Remainder.DROP, ncclLib);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
        TrainResult r = new Trainer(cfg, out, System.getenv(), true, cache.open()).run();
        return r.steps() > 0 ? 0 : 1;
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
