package dev.sluice.engine.train;

import dev.sluice.data.store.StoreOptions;
import java.nio.file.Path;

/**
 * Everything a training run is configured with. Built by {@link TrainingRun.Builder} or the CLI.
 *
 * @param data dataset location: a directory, {@code file://} or {@code s3://} URI
 * @param store how to reach the store (S3 endpoint, region, parts, concurrency)
 * @param trainSplit split to train on
 * @param evalSplit split to evaluate on after each epoch, or null for none
 * @param model model name from the registry
 * @param epochs epochs to train
 * @param batchSize samples per step per replica
 * @param lr peak learning rate
 * @param optimizer {@code adamw} or {@code sgd}
 * @param momentum SGD momentum
 * @param nesterov SGD Nesterov momentum
 * @param weightDecay weight decay (decoupled for AdamW, L2 for SGD)
 * @param clipNorm clip gradients to this global L2 norm; 0 for no clipping
 * @param warmupSteps linear warmup steps
 * @param cosine cosine decay of the learning rate after warmup
 * @param seed seed of initialization and data order
 * @param devices device spec: {@code auto}, {@code cpu}, {@code cpu:N}, {@code cuda}, {@code cuda:0,1}
 * @param runDir where metrics, plots and checkpoints go
 * @param shuffleWindow shards open at once for the bounded shuffle
 * @param prefetch shards fetched ahead
 * @param maxSteps stop after this many steps in total (for tests and smoke runs); 0 for no limit
 * @param progress draw a progress bar (otherwise a line every quarter epoch)
 * @param json also print the per-epoch summary and the final summary as JSON lines
 * @param checkpointDir where checkpoints go: a directory or {@code s3://} prefix; null for {@code <runDir>/checkpoints}
 * @param checkpointEvery also checkpoint every this many steps (0: only at epoch ends and on a stop signal)
 * @param keepCheckpoints how many of the newest checkpoints to keep
 * @param resume continue from the newest valid checkpoint in {@code checkpointDir}
 * @param skipNonFinite skip a batch whose loss is NaN or infinite instead of stopping
 * @param logEvery write a {@code step} line to metrics.jsonl every this many steps
 * @param remainder what happens to the samples of an epoch that do not divide among the replicas
 * @param ncclLib path of libnccl.so.2 (or its directory) for multi-GPU runs; null to search LD_LIBRARY_PATH
 */
public record TrainConfig(
        String data,
        StoreOptions store,
        String trainSplit,
        String evalSplit,
        String model,
        int epochs,
        int batchSize,
        float lr,
        String optimizer,
        float momentum,
        boolean nesterov,
        float weightDecay,
        float clipNorm,
        long warmupSteps,
        boolean cosine,
        long seed,
        String devices,
        Path runDir,
        int shuffleWindow,
        int prefetch,
        long maxSteps,
        boolean progress,
        boolean json,
        String checkpointDir,
        long checkpointEvery,
        int keepCheckpoints,
        boolean resume,
        boolean skipNonFinite,
        int logEvery,
        dev.sluice.data.loader.Remainder remainder,
        String ncclLib) {

    public TrainConfig {
        if (epochs <= 0 || batchSize <= 0 || lr <= 0) {
            throw new IllegalArgumentException("epochs, batch size and learning rate must be positive (got "
                    + epochs + ", " + batchSize + ", " + lr + ")");
        }
        if (remainder == dev.sluice.data.loader.Remainder.UNEVEN) {
            throw new IllegalArgumentException("remainder 'uneven' is for evaluation; training needs drop or wrap");
        }
        if (logEvery <= 0 || keepCheckpoints <= 0 || checkpointEvery < 0) {
            throw new IllegalArgumentException("--log-every and --keep-checkpoints must be positive and"
                    + " --checkpoint-every not negative");
        }
        if (!optimizer.equals("adamw") && !optimizer.equals("sgd")) {
            throw new IllegalArgumentException("unknown optimizer '" + optimizer + "': use adamw or sgd");
        }
    }

    /** The checkpoint location: {@code checkpointDir}, or {@code <runDir>/checkpoints}. */
    public String checkpointLocation() {
        return checkpointDir != null ? checkpointDir : runDir.resolve("checkpoints").toString();
    }

    /**
     * The settings a resumed run must share with its checkpoint (the world size may change:
     * resume is elastic), by name.
     */
    public java.util.Map<String, String> resumeKey(String datasetIdentity) {
        java.util.Map<String, String> m = new java.util.TreeMap<>();
        m.put("dataset", datasetIdentity);
        m.put("train_split", trainSplit);
        m.put("model", model);
        m.put("batch_size", Integer.toString(batchSize));
        m.put("epochs", Integer.toString(epochs));
        m.put("lr", Float.toString(lr));
        m.put("optimizer", optimizer);
        m.put("momentum", optimizer.equals("sgd") ? Float.toString(momentum) : "-");
        m.put("nesterov", optimizer.equals("sgd") ? Boolean.toString(nesterov) : "-");
        m.put("weight_decay", Float.toString(weightDecay));
        m.put("clip_norm", Float.toString(clipNorm));
        m.put("warmup", Long.toString(warmupSteps));
        m.put("schedule", cosine ? "cosine" : "constant");
        m.put("seed", Long.toString(seed));
        m.put("max_steps", Long.toString(maxSteps));
        return m;
    }
}
