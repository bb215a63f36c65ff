package dev.sluice.engine.djl;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Batch;
import ai.djl.util.Progress;
import dev.sluice.data.loader.Loader;
import dev.sluice.data.loader.LoaderConfig;
import dev.sluice.data.loader.LoaderMetrics;
import dev.sluice.data.memory.DirectAllocator;
import dev.sluice.data.memory.HostAllocator;
import dev.sluice.data.store.ObjectStore;
import dev.sluice.data.store.StoreOptions;
import dev.sluice.data.store.Stores;
import dev.sluice.engine.device.FeedSpec;
import dev.sluice.engine.train.TrainConfig;
import java.io.IOException;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;

/**
 * A Sluice dataset split as a DJL {@link ai.djl.training.dataset.Dataset}, so DJL's own training
 * loop ({@code EasyTrain.fit}) can stream it from a directory or an object store.
 *
 * <p>Each {@link #getData(NDManager)} call is the next epoch (the first is {@link
 * Builder#firstEpoch}, 0 by default): batches come in the order the Sluice epoch plan gives for
 * (seed, epoch), shuffled unless {@link Builder#evaluation()} was asked for. Each batch is the
 * image field as float32 NCHW, normalized with the dataset's per-channel mean and std ({@link
 * FeedSpec}), and the labels as int64 class ids; {@link Batch#getIndices()} holds the samples' ids
 * within the split. The pooled host buffer a batch was assembled in goes back to the loader as soon
 * as it has been converted, so no host memory is held while DJL trains on the batch; closing the
 * DJL batch (as {@code EasyTrain} does) frees its tensors.
 *
 * <pre>{@code
 * try (SluiceDataset train = SluiceDataset.builder().data("s3://bucket/fashion-mnist")
 *             .split("train").batchSize(128).seed(7).build();
 *      SluiceDataset test = SluiceDataset.builder().data("s3://bucket/fashion-mnist")
 *             .split("test").batchSize(256).evaluation().build();
 *      Model model = Model.newInstance("mlp")) {
 *     train.prepare();
 *     model.setBlock(Mlp.build(new int[] {256}, train.numClasses()));
 *     DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
 *             .optOptimizer(Optimizer.adam().build())
 *             .addEvaluator(new Accuracy())
 *             .addTrainingListeners(TrainingListener.Defaults.basic());
 *     try (Trainer trainer = model.newTrainer(config)) {
 *         trainer.initialize(train.inputShape(1));
 *         EasyTrain.fit(trainer, 3, train, test);
 *         System.out.println(trainer.getTrainingResult().getValidateEvaluation("Accuracy"));
 *     }
 * }
 * }</pre>
 *
 * <p>One epoch is open at a time: starting another (a new {@code getData} iteration) ends the
 * previous one and returns its undelivered buffers to the pool. Not thread-safe; DJL's loop calls
 * it from one thread.
 */
public final class SluiceDataset implements ai.djl.training.dataset.Dataset, AutoCloseable {

    private final String location;
    private final StoreOptions storeOptions;
    private final dev.sluice.data.format.Dataset given;
    private final String split;
    private final int batchSize;
    private final long seed;
    private final boolean shuffle;
    private final boolean dropLast;
    private final int window;
    private final int prefetch;
    private final long maxBatches;
    private final HostAllocator batchMemory;
    private final TrainConfig.Inputs inputs;
    private final boolean evaluation;
    private long nextEpoch;

    private ObjectStore store;
    private dev.sluice.data.format.Dataset dataset;
    private FeedSpec feed;
    private Loader loader;
    private EpochIterator open;
    private boolean closed;

    private SluiceDataset(Builder b) {
        this.location = b.location;
        this.storeOptions = b.store;
        this.given = b.dataset;
        this.split = b.split;
        this.batchSize = b.batchSize;
        this.seed = b.seed;
        this.shuffle = b.shuffle;
        this.dropLast = b.dropLast;
        this.window = b.window;
        this.prefetch = b.prefetch;
        this.maxBatches = b.maxBatches;
        this.batchMemory = b.batchMemory;
        this.inputs = b.inputs;
        this.evaluation = b.evaluation;
        this.nextEpoch = b.firstEpoch;
    }

    /** A builder; {@link Builder#data} (or {@link Builder#dataset}) is required. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Opens the store and the manifest, works out the fields, and allocates the loader's batch
     * buffers. Idempotent; {@link #getData} calls it when needed.
     *
     * @param progress reports the single "open" step, or null
     * @throws IllegalArgumentException when the dataset has no uint8 image and labelled integer field
     */
    @Override
    public void prepare(Progress progress) throws IOException {
        checkOpen();
        if (loader != null) {
            return;
        }
        if (progress != null) {
            progress.reset("Opening " + where(), 1);
            progress.start(0);
        }
        try {
            if (dataset == null) {
                if (given != null) {
                    dataset = given;
                } else {
                    store = Stores.open(location, storeOptions);
                    dataset = dev.sluice.data.format.Dataset.open(store);
                }
            }
            feed = FeedSpec.from(dataset.manifest(), inputs.imageField(), inputs.labelField(), inputs.imageSize(),
                    inputs.normalize());
            LoaderConfig cfg = LoaderConfig.training(split, batchSize, seed)
                    .withShuffle(shuffle, window)
                    .withDropLast(dropLast)
                    .withIo(prefetch, storeOptions.partBytes(), 4)
                    .withFields(List.of(feed.imageField(), feed.labelField()))
                    .withImages(!feed.encoded() ? null : evaluation ? inputs.evalStage(feed.imageField())
                            : inputs.trainStage(feed.imageField()));
            loader = new Loader(dataset, cfg, batchMemory);
        } catch (IOException | RuntimeException e) {
            closeStore(e);
            throw e;
        }
        if (progress != null) {
            progress.end();
        }
    }

    /**
     * The batches of the next epoch. The returned iterable streams that epoch; iterating it again
     * streams the same epoch again (same order), ending an iteration still in progress.
     *
     * @param manager the batches' tensors are created on this manager's device, each batch in its
     *     own sub-manager that {@link Batch#close()} frees
     */
    @Override
    public Iterable<Batch> getData(NDManager manager) throws IOException {
        prepare(null);
        long epoch = nextEpoch++;
        return () -> start(manager, epoch);
    }

    private Iterator<Batch> start(NDManager manager, long epoch) {
        checkOpen();
        endOpenEpoch();
        long total = loader.batchesPerEpoch();
        if (maxBatches > 0) {
            total = Math.min(total, maxBatches);
        }
        open = new EpochIterator(loader, feed, manager, epoch, total, where());
        return open;
    }

    /** Which fields feed the model and how they are normalized (after {@link #prepare}). */
    public FeedSpec feed() {
        requirePrepared();
        return feed;
    }

    /** Classes of the label field (after {@link #prepare}). */
    public int numClasses() {
        return feed().numClasses();
    }

    /** Shape of a batch of inputs, {@code (batchSize, C, H, W)} (after {@link #prepare}). */
    public Shape inputShape(long batch) {
        FeedSpec f = feed();
        return new Shape(batch, f.channels(), f.height(), f.width());
    }

    /** Batches one epoch yields (after {@link #prepare}). */
    public long batchesPerEpoch() {
        requirePrepared();
        long n = loader.batchesPerEpoch();
        return maxBatches > 0 ? Math.min(n, maxBatches) : n;
    }

    /** The epoch the next {@link #getData} call will stream. */
    public long nextEpoch() {
        return nextEpoch;
    }

    /** The loader's counters: bytes read, batches delivered, time spent waiting for data. */
    public LoaderMetrics loaderMetrics() {
        requirePrepared();
        return loader.metrics();
    }

    /**
     * Ends the open epoch, frees the loader's buffers and closes the store (if this dataset opened it).
     *
     * @throws IllegalStateException if host batches were not returned to the pool (a bug: they are
     *     returned as each batch is converted)
     */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            endOpenEpoch();
            if (loader != null) {
                loader.close();
            }
        } finally {
            if (store != null) {
                store.close();
            }
        }
    }

    private void endOpenEpoch() {
        if (open != null) {
            open.close();
            open = null;
        }
    }

    private void closeStore(Exception cause) {
        if (store != null) {
            try {
                store.close();
            } catch (IOException | RuntimeException e) {
                cause.addSuppressed(e);
            }
            store = null;
            dataset = null;
        }
    }

    private String where() {
        String src = given != null ? given.store().location() : location;
        return "split '" + split + "' of " + src;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("SluiceDataset over " + where() + " is closed");
        }
    }

    private void requirePrepared() {
        if (loader == null) {
            throw new IllegalStateException("call prepare() on the SluiceDataset over " + where() + " first");
        }
    }

    /** Options of a {@link SluiceDataset}; every setter returns the builder. */
    public static final class Builder {
        private String location;
        private dev.sluice.data.format.Dataset dataset;
        private StoreOptions store = StoreOptions.defaults();
        private String split = "train";
        private int batchSize = 128;
        private long seed = 42;
        private boolean shuffle = true;
        private boolean dropLast = true;
        private int window = 4;
        private int prefetch = 2;
        private long firstEpoch;
        private long maxBatches;
        private HostAllocator batchMemory = new DirectAllocator();
        private TrainConfig.Inputs inputs = TrainConfig.Inputs.defaults();
        private boolean evaluation;

        private Builder() {}

        /** Dataset location: a directory, {@code file://} or {@code s3://} URI. */
        public Builder data(String location) {
            this.location = location;
            return this;
        }

        /** An already opened dataset (its store stays the caller's to close). */
        public Builder dataset(dev.sluice.data.format.Dataset opened) {
            this.dataset = opened;
            return this;
        }

        /** How to reach the store (S3 endpoint, region, part size, concurrency). */
        public Builder store(StoreOptions options) {
            this.store = options;
            return this;
        }

        /** The split to stream (default {@code train}). */
        public Builder split(String name) {
            this.split = name;
            return this;
        }

        /** Samples per batch (default 128). */
        public Builder batchSize(int n) {
            this.batchSize = n;
            return this;
        }

        /** Seed of the shuffled order (default 42). */
        public Builder seed(long v) {
            this.seed = v;
            return this;
        }

        /** Shuffle (default) or read in stored order. */
        public Builder shuffle(boolean on) {
            this.shuffle = on;
            return this;
        }

        /** Drop a final partial batch (default) or deliver it. */
        public Builder dropLast(boolean drop) {
            this.dropLast = drop;
            return this;
        }

        /** For validation: stored order, every sample once (final partial batch kept). */
        public Builder evaluation() {
            this.shuffle = false;
            this.dropLast = false;
            this.evaluation = true;
            return this;
        }

        /**
         * Which fields feed the model and how encoded (jpeg/png) images are decoded, as for
         * {@code train} (default: {@link TrainConfig.Inputs#defaults()}): a training split takes the
         * augmentation, an {@link #evaluation()} split centre-crops (after rrc) or resizes the whole image.
         */
        public Builder inputs(TrainConfig.Inputs in) {
            this.inputs = Objects.requireNonNull(in, "inputs");
            return this;
        }

        /** Shards open at once (shuffle window) and shards fetched ahead (defaults 4 and 2). */
        public Builder loader(int shuffleWindow, int prefetchShards) {
            this.window = shuffleWindow;
            this.prefetch = prefetchShards;
            return this;
        }

        /** The epoch the first {@code getData} call streams (to continue a run; default 0). */
        public Builder firstEpoch(long epoch) {
            this.firstEpoch = epoch;
            return this;
        }

        /** End every epoch after this many batches (0, the default: the whole split). */
        public Builder maxBatchesPerEpoch(long n) {
            this.maxBatches = n;
            return this;
        }

        /** Memory for the loader's batch buffers (default: direct buffers; page-locked memory helps a GPU). */
        public Builder batchMemory(HostAllocator allocator) {
            this.batchMemory = allocator;
            return this;
        }

        /**
         * Checks the options; nothing is opened until {@link SluiceDataset#prepare}.
         *
         * @throws IllegalArgumentException naming the option that is wrong
         */
        public SluiceDataset build() {
            if ((location == null) == (dataset == null)) {
                throw new IllegalArgumentException("give the dataset either as data(location) or as dataset(opened)");
            }
            Objects.requireNonNull(split, "split");
            Objects.requireNonNull(store, "store");
            Objects.requireNonNull(batchMemory, "batchMemory");
            if (batchSize <= 0) {
                throw new IllegalArgumentException("batchSize must be positive, got " + batchSize);
            }
            if (window <= 0 || prefetch < 0) {
                throw new IllegalArgumentException("loader(shuffleWindow >= 1, prefetchShards >= 0), got " + window
                        + ", " + prefetch);
            }
            if (firstEpoch < 0 || maxBatches < 0) {
                throw new IllegalArgumentException("firstEpoch and maxBatchesPerEpoch must not be negative");
            }
            return new SluiceDataset(this);
        }
    }
}
