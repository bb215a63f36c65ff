package dev.sluice.engine.train;

import dev.sluice.data.image.ImageDecoders;
import dev.sluice.data.image.ImageStage;
import dev.sluice.data.loader.Remainder;
import dev.sluice.data.store.StoreOptions;
import dev.sluice.engine.device.DeviceSpec;
import dev.sluice.engine.device.Normalization;
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
 * @param inputs which fields feed the model and how encoded images are decoded, augmented and normalized
 */
public record TrainConfig(Data data, Job job, Optimization optimization, Checkpointing checkpoints, Output output,
                          Hardware hardware, Inputs inputs) {

    /** A configuration with the default {@link Inputs}: roles from the manifest, ImageNet-style images. */
    public TrainConfig(Data data, Job job, Optimization optimization, Checkpointing checkpoints, Output output,
                       Hardware hardware) {
        this(data, job, optimization, checkpoints, output, hardware, Inputs.defaults());
    }

    public TrainConfig {
        if (inputs == null) {
            throw new IllegalArgumentException("no inputs group; use Inputs.defaults()");
        }
    }

    /**
     * Which fields feed the model, and for a field of encoded JPEG/PNG images, how the loader's
     * decode stage turns them into tensors: training takes the {@code augment} crop and flip,
     * evaluation resizes and centre-crops (torchvision's 0.875 fraction) after a random-resized-crop
     * and resizes the whole image otherwise; both give RGB squares of
     * {@code imageSize}. Every random draw is a pure function of (seed, epoch, sample id).
     *
     * @param imageField the image field, or null for the first one the manifest has
     * @param labelField the label field, or null for the first integer scalar field
     * @param imageSize side of the decoded square
     * @param crop how training chooses the kept region: {@code RANDOM_RESIZED} or {@code RESIZE}
     * @param flip training mirrors about half the images
     * @param normalize per-channel statistics; null for ImageNet's on encoded images and the
     *     dataset's metadata on stored pixels
     * @param strictDecode fail the run on an image that does not decode instead of skipping it
     * @param decoder the image decoder: {@code auto} (OpenCV, else ImageIO), {@code opencv}, {@code imageio}
     *     or {@code nvjpeg} (the GPU decoder; see {@link dev.sluice.data.image.ImageDecoders})
     */
    public record Inputs(String imageField, String labelField, int imageSize, ImageStage.Crop crop, boolean flip,
                         Normalization normalize, boolean strictDecode, String decoder) {
        public Inputs {
            if (decoder == null) {
                decoder = TrainDefaults.DECODER;
            }
            if (!decoder.equalsIgnoreCase(TrainDefaults.DECODER)) {
                // an unknown name, or a decoder that cannot load here (nvjpeg without libnvjpeg or a
                // GPU), fails before the run writes anything; auto always resolves
                ImageDecoders.resolve(decoder);
            }
            if (imageSize <= 0 || imageSize > 1 << 14) {
                throw new IllegalArgumentException("--image-size must be 1..16384, not " + imageSize);
            }
            if (crop == ImageStage.Crop.CENTER || crop == null) {
                throw new IllegalArgumentException("training crop must be rrc or resize, not " + crop);
            }
        }

        /** Roles from the manifest, {@value TrainDefaults#IMAGE_SIZE} px, random-resized-crop and flip. */
        public static Inputs defaults() {
            Augment a = Augment.parse(TrainDefaults.AUGMENT_TEXT);
            return new Inputs(null, null, TrainDefaults.IMAGE_SIZE, a.crop(), a.flip(), null, false,
                    TrainDefaults.DECODER);
        }

        /** The decode stage of the training loader for {@code field}. */
        public ImageStage trainStage(String field) {
            return ImageStage.training(field, imageSize).withAugment(crop, flip).withStrict(strictDecode)
                    .withDecoder(decoder, 0);
        }

        /**
         * The decode stage of the evaluation loader for {@code field}, without flip: after a
         * random-resized-crop, resize and centre crop (torchvision's evaluation); after a plain
         * resize, the same resize, so evaluation sees images as training did.
         */
        public ImageStage evalStage(String field) {
            ImageStage eval = ImageStage.evaluation(field, imageSize).withStrict(strictDecode).withDecoder(decoder, 0);
            return crop == ImageStage.Crop.RANDOM_RESIZED ? eval : eval.withAugment(ImageStage.Crop.RESIZE, false);
        }

        /** What a resumed run must share with its checkpoint when the images are decoded. */
        String describe() {
            // no --normalize is "auto" (ImageNet's statistics for decoded images), not "null"; the
            // others keep their enum names, so checkpoints taken with them still resume
            return "size=" + imageSize + " crop=" + crop + " flip=" + flip + " normalize="
                    + (normalize == null ? "auto" : normalize.name());
        }
    }

    /**
     * A parsed {@code --augment} value: {@code none}, or a comma list of {@code rrc} and {@code flip}.
     *
     * @param crop {@code RANDOM_RESIZED} with {@code rrc}, else {@code RESIZE}
     * @param flip with {@code flip}
     */
    public record Augment(ImageStage.Crop crop, boolean flip) {

        /** Parses {@code none}, {@code rrc}, {@code flip} or {@code rrc,flip}. */
        public static Augment parse(String s) {
            boolean rrc = false;
            boolean flip = false;
            for (String part : s.toLowerCase(Locale.ROOT).split(",")) {
                switch (part.trim()) {
                    case "none" -> { }
                    case "rrc", "random-resized-crop" -> rrc = true;
                    case "flip" -> flip = true;
                    default -> throw new IllegalArgumentException("--augment takes none or a list of rrc and flip"
                            + " (e.g. rrc,flip), not '" + s + "'");
                }
            }
            return new Augment(rrc ? ImageStage.Crop.RANDOM_RESIZED : ImageStage.Crop.RESIZE, flip);
        }
    }

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
     * @param evalSplit split to evaluate on after each epoch, or null for none; {@link TrainDefaults#EVAL_SPLIT}
     *     ({@code auto}) for {@code test}, else {@code val}, else none
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
            // one message per wrong option, naming only that one
            if (epochs <= 0) {
                throw new IllegalArgumentException("--epochs must be positive, not " + epochs);
            }
            if (batchSize <= 0) {
                throw new IllegalArgumentException("--batch-size must be positive, not " + batchSize);
            }
            if (maxSteps < 0) {
                throw new IllegalArgumentException("--max-steps must be 0 (no limit) or positive, not " + maxSteps);
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
                new Output(dir, output.progress(), output.json(), output.logEvery()), hardware, inputs);
    }

    /** The same configuration without an evaluation split. */
    public TrainConfig withoutEvaluation() {
        return withEvalSplit(null);
    }

    /** The same configuration evaluating on {@code split} (null: none). */
    public TrainConfig withEvalSplit(String split) {
        Data d = data;
        return new TrainConfig(new Data(d.location(), d.store(), d.trainSplit(), split, d.shuffleWindow(), d.prefetch(),
                d.remainder()), job, optimization, checkpoints, output, hardware, inputs);
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
        return resumeKey(datasetIdentity, false);
    }

    /**
     * The decoder {@code name} stands for on this machine: {@code opencv} or {@code imageio}; a
     * provider's (nvjpeg) with the CPU decoder it hands other images to ({@code auto}'s), e.g.
     * {@code nvjpeg+opencv}.
     */
    static String resolvedDecoder(String name) {
        String d = ImageDecoders.resolve(name);
        return d.equals("opencv") || d.equals("imageio") ? d : d + "+" + ImageDecoders.resolve("auto");
    }

    /**
     * As {@link #resumeKey(String)}; with {@code decodedImages} also the image size, augmentation and
     * normalization, which decide what every batch holds, and the decoder as resolved on this machine
     * ({@code auto} is OpenCV here and may be ImageIO elsewhere): decoders differ in the last bit of
     * some pixels, so a resume with another one would not repeat the run exactly.
     */
    public Map<String, String> resumeKey(String datasetIdentity, boolean decodedImages) {
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
        if (decodedImages) {
            m.put("images", inputs.describe());
            m.put("decoder", resolvedDecoder(inputs.decoder()));
        }
        return m;
    }
}
