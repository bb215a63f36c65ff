package dev.sluice.engine.train;

/**
 * The one source of a training run's defaults, read by {@link TrainingRun.Builder} and by the CLI's
 * {@code train} options (picocli needs them as constant strings, hence the {@code *_TEXT} forms,
 * which the compiler derives from the values).
 */
public final class TrainDefaults {

    private TrainDefaults() {}

    public static final String TRAIN_SPLIT = "train";
    /** Not a split name: evaluate on {@code test}, else {@code val}, else not at all (see {@code RunPlan}). */
    public static final String EVAL_SPLIT = "auto";
    public static final String MODEL = "mlp";
    public static final int EPOCHS = 5;
    public static final String EPOCHS_TEXT = "" + EPOCHS;
    public static final int BATCH_SIZE = 128;
    public static final String BATCH_SIZE_TEXT = "" + BATCH_SIZE;
    public static final float LR = 0.001f;
    public static final String LR_TEXT = "" + LR;
    public static final String OPTIMIZER_TEXT = "adamw";
    public static final float MOMENTUM = 0.9f;
    public static final String MOMENTUM_TEXT = "" + MOMENTUM;
    public static final float WEIGHT_DECAY = 0f;
    public static final String WEIGHT_DECAY_TEXT = "" + WEIGHT_DECAY;
    public static final float CLIP_NORM = 0f;
    public static final String CLIP_NORM_TEXT = "" + CLIP_NORM;
    public static final long WARMUP = 0;
    public static final String WARMUP_TEXT = "" + WARMUP;
    public static final String SCHEDULE_TEXT = "cosine";
    public static final long SEED = 42;
    public static final String SEED_TEXT = "" + SEED;
    public static final String DEVICES = "auto";
    public static final int SHUFFLE_WINDOW = 4;
    public static final String SHUFFLE_WINDOW_TEXT = "" + SHUFFLE_WINDOW;
    public static final int PREFETCH = 2;
    public static final String PREFETCH_TEXT = "" + PREFETCH;
    public static final long MAX_STEPS = 0;
    public static final String MAX_STEPS_TEXT = "" + MAX_STEPS;
    public static final long CHECKPOINT_EVERY = 0;
    public static final String CHECKPOINT_EVERY_TEXT = "" + CHECKPOINT_EVERY;
    public static final int KEEP_CHECKPOINTS = 3;
    public static final String KEEP_CHECKPOINTS_TEXT = "" + KEEP_CHECKPOINTS;
    public static final String ON_NAN_TEXT = "stop";
    public static final String REMAINDER_TEXT = "drop";
    /** Side of the square that encoded images are decoded to (ImageNet's usual training size). */
    public static final int IMAGE_SIZE = 224;
    public static final String IMAGE_SIZE_TEXT = "" + IMAGE_SIZE;
    /** Training augmentation of encoded images: random-resized-crop and horizontal flip. */
    public static final String AUGMENT_TEXT = "rrc,flip";
    /** Per-channel statistics: ImageNet's for encoded images, the dataset's for stored pixels. */
    public static final String NORMALIZE_TEXT = "auto";

    /** {@code --decoder}: OpenCV (libjpeg-turbo) where its natives load, else ImageIO; never the GPU decoder. */
    public static final String DECODER = "auto";
    public static final int LOG_EVERY = 50;
    public static final String LOG_EVERY_TEXT = "" + LOG_EVERY;

    /** Where runs without {@code --run-dir} get a new directory, {@code runs/<time>-<model>[-N]}. */
    public static final java.nio.file.Path RUNS = java.nio.file.Path.of("runs");
}
