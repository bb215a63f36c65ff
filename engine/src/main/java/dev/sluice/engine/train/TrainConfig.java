package dev.sluice.engine.train;

import dev.sluice.data.loader.Remainder;
import dev.sluice.data.store.StoreOptions;
import dev.sluice.engine.device.DeviceSpec;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Everything a training run is configured with, grouped by concern. Built by
 * {@link TrainingRun.Builder} or the CLI, both from {@link TrainDefaults}.
 *
 * @param data what is read and how
 * @param job the model and how long it trains
 * @param optimization the update rule, its schedule and the NaN policy
 * @param checkpoints where and when checkpoints are taken, and whether the run resumes
 * @param output run directory and what is printed
 * @param hardware devices and the NCCL library
 */
public record TrainConfig(Data data, Job job, Optimization optimization, Checkpointing checkpoints, Output output,
                          Hardware hardware) {

    /** The optimizer: AdamW (decoupled weight decay) or SGD (momentum, L2 weight decay). */
    public enum OptimizerKind { ADAMW, SGD;

        /** Parses a CLI value ({@code adamw}, {@code sgd}, any case). */
        public static OptimizerKind parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "adamw" -> ADAMW;
                case "sgd" -> SGD;
                default -> throw new IllegalArgumentException("unknown optimizer '" + s + "': use adamw or sgd");
            };
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The learning rate after warmup: cosine decay to 0, or constant. */
    public enum Decay { COSINE, CONSTANT;

        /** Parses a CLI value ({@code cosine}, {@code constant}). */
        public static Decay parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "cosine" -> COSINE;
                case "constant" -> CONSTANT;
                default -> throw new IllegalArgumentException("--schedule must be cosine or constant, not '" + s + "'");
            };
        }
    }

    /** What a step whose loss is NaN or infinite does: stop the run, or skip the batch. */
    public enum NanPolicy { STOP, SKIP;

        /** Parses a CLI value ({@code stop}, {@code skip}). */
        public static NanPolicy parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "stop" -> STOP;
                case "skip" -> SKIP;
                default -> throw new IllegalArgumentException("--on-nan must be stop or skip, not '" + s + "'");
            };
        }
    }

    /**
     * What is read and how.
     *
     * @param location dataset location: a directory, {@code file://} or {@code s3://} URI
     * @param store how to reach the store (S3 endpoint, region, parts, concurrency)
     * @param trainSplit split to train on
     * @param evalSplit split to evaluate on after each epoch, or null for none
     * @param shuffleWindow shards open at once for the bounded shuffle
     * @param prefetch shards fetched ahead
     * @param remainder what happens to the samples of an epoch that do not divide among the replicas
     */
    public record Data(String location, StoreOptions store, String trainSplit, String evalSplit, int shuffleWindow,
                       int prefetch, Remainder remainder) {
        public Data {
            if (location == null) {
                throw new IllegalArgumentException("no dataset location");
            }
            if (remainder == Remainder.UNEVEN) {
                throw new IllegalArgumentException("remainder 'uneven' is for evaluation; training needs drop or wrap");
            }
            if (shuffleWindow <= 0 || prefetch < 0) {
                throw new IllegalArgumentException("--shuffle-window must be positive and --prefetch not negative (got "
                        + shuffleWindow + ", " + prefetch + ")");
            }
        }
    }

    /**
     * The model and how long it trains.
     *
     * @param model model name from the registry
     * @param epochs epochs to train
     * @param batchSize samples per step per replica
     * @param seed seed of initialization and data order
     * @param maxSteps stop after this many steps in total (for tests and smoke runs); 0 for no limit
     */
    public record Job(String model, int epochs, int batchSize, long seed, long maxSteps) {
        public Job {
            if (epochs <= 0 || batchSize <= 0 || maxSteps < 0) {
                throw new IllegalArgumentException("--epochs and --batch-size must be positive and --max-steps not"
                        + " negative (got " + epochs + ", " + batchSize + ", " + maxSteps + ")");
            }
        }
    }

    /**
     * The update rule.
     *
     * @param optimizer AdamW or SGD
     * @param lr peak learning rate
     * @param momentum SGD momentum
     * @param nesterov SGD Nesterov momentum
     * @param weightDecay weight decay (decoupled for AdamW, L2 for SGD)
     * @param clipNorm clip gradients to this global L2 norm; 0 for no clipping
     * @param warmupSteps linear warmup steps
     * @param decay the learning rate after warmup
     * @param onNan what a non-finite loss does
     */
    public record Optimization(OptimizerKind optimizer, float lr, float momentum, boolean nesterov, float weightDecay,
                               float clipNorm, long warmupSteps, Decay decay, NanPolicy onNan) {
        public Optimization {
            if (!Float.isFinite(lr) || lr <= 0) {
                throw new IllegalArgumentException("--lr must be a positive finite number, not " + lr);
            }
            if (!Float.isFinite(momentum) || !Float.isFinite(weightDecay) || !Float.isFinite(clipNorm)
                    || clipNorm < 0 || weightDecay < 0 || warmupSteps < 0) {
                throw new IllegalArgumentException("--momentum, --weight-decay, --clip-norm and --warmup must be finite"
                        + " and not negative (got " + momentum + ", " + weightDecay + ", " + clipNorm + ", "
                        + warmupSteps + ")");
            }
        }

        public boolean cosine() {
            return decay == Decay.COSINE;
        }

        public boolean skipNonFinite() {
            return onNan == NanPolicy.SKIP;
        }
    }

    /**
     * Where and when checkpoints are taken.
     *
     * @param dir a directory or {@code s3://} prefix; null for {@code <runDir>/checkpoints}
     * @param every also checkpoint every this many steps (0: only at epoch ends and on a stop signal)
     * @param keep how many of the newest checkpoints to keep
     * @param resume continue from the newest valid checkpoint
     */
    public record Checkpointing(String dir, long every, int keep, boolean resume) {
        public Checkpointing {
            if (keep <= 0 || every < 0) {
                throw new IllegalArgumentException("--keep-checkpoints must be positive and --checkpoint-every not"
                        + " negative (got " + keep + ", " + every + ")");
            }
        }
    }

    /**
     * The run directory and what is printed.
     *
     * @param runDir where metrics, plots and checkpoints go; null for a new directory
     *     {@code runs/<time>-<model>[-N]}, created when the run starts
     * @param progress draw a progress bar (otherwise progress lines)
     * @param json also print the per-epoch summary and the final summary as JSON lines
     * @param logEvery write a {@code step} line to metrics.jsonl every this many steps
     */
    public record Output(Path runDir, boolean progress, boolean json, int logEvery) {
        public Output {
            if (logEvery <= 0) {
                throw new IllegalArgumentException("--log-every must be positive (got " + logEvery + ")");
            }
        }
    }

    /**
     * Devices.
     *
     * @param devices what {@code --devices} asked for
     * @param ncclLib path of libnccl.so.2 (or its directory) for multi-GPU runs; null to search LD_LIBRARY_PATH
     * @param force allow more CPU replicas than cores
     */
    public record Hardware(DeviceSpec devices, String ncclLib, boolean force) {

        /**
         * Refuses more CPU replicas than cores unless forced: each replica holds a model, its
         * gradients, optimizer state and loader buffers, so {@code cpu:999} on 2 cores would use
         * gigabytes before it could do anything useful.
         *
         * @throws IllegalArgumentException saying how many replicas, how many cores, and what to do
         */
        public void checkCores(int cores) {
            if (devices.kind() == DeviceSpec.Kind.CPU && devices.cpuReplicas() > cores && !force) {
                throw new IllegalArgumentException("--devices " + devices + " asks for " + devices.cpuReplicas()
                        + " CPU replicas on " + cores + " core(s); use at most cpu:" + cores
                        + ", or pass --force to run more replicas than cores");
            }
        }
    }

    /** The same configuration with this run directory. */
    public TrainConfig withRunDir(Path dir) {
        return new TrainConfig(data, job, optimization, checkpoints,
                new Output(dir, output.progress(), output.json(), output.logEvery()), hardware);
    }

    /** The checkpoint location: {@code checkpoints.dir}, or {@code <runDir>/checkpoints}. */
    public String checkpointLocation() {
        return checkpoints.dir() != null ? checkpoints.dir() : output.runDir().resolve("checkpoints").toString();
    }

    /**
     * The settings a resumed run must share with its checkpoint (the world size may change:
     * resume is elastic), by name.
     */
    public Map<String, String> resumeKey(String datasetIdentity) {
        Map<String, String> m = new TreeMap<>();
        Optimization o = optimization;
        boolean sgd = o.optimizer() == OptimizerKind.SGD;
        m.put("dataset", datasetIdentity);
        m.put("train_split", data.trainSplit());
        m.put("model", job.model());
        m.put("batch_size", Integer.toString(job.batchSize()));
        m.put("epochs", Integer.toString(job.epochs()));
        m.put("lr", Float.toString(o.lr()));
        m.put("optimizer", o.optimizer().toString());
        m.put("momentum", sgd ? Float.toString(o.momentum()) : "-");
        m.put("nesterov", sgd ? Boolean.toString(o.nesterov()) : "-");
        m.put("weight_decay", Float.toString(o.weightDecay()));
        m.put("clip_norm", Float.toString(o.clipNorm()));
        m.put("warmup", Long.toString(o.warmupSteps()));
        m.put("schedule", o.cosine() ? "cosine" : "constant");
        m.put("seed", Long.toString(job.seed()));
        m.put("max_steps", Long.toString(job.maxSteps()));
        return m;
    }
}
