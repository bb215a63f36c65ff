package dev.sluice.data.loader;

import dev.sluice.data.format.Compression;
import dev.sluice.data.format.DType;
import dev.sluice.data.format.Dataset;
import dev.sluice.data.format.FieldSpec;
import dev.sluice.data.format.ShardInfo;
import dev.sluice.data.format.Split;
import dev.sluice.data.image.ImageStage;
import dev.sluice.data.memory.DirectAllocator;
import dev.sluice.data.memory.HostAllocator;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Streams one split of a dataset as collated host batches for one rank: shards are fetched ahead
 * through the store, checked, and drawn from in the order the epoch plan gives; samples are copied
 * into pooled batch buffers by a background thread while the caller trains on earlier batches.
 *
 * <pre>{@code
 * try (Loader loader = new Loader(dataset, LoaderConfig.training("train", 128, seed), new DirectAllocator())) {
 *     LoaderState state = LoaderState.start(seed, 0);
 *     try (EpochStream epoch = loader.open(state)) {
 *         for (HostBatch b; (b = epoch.next()) != null; ) {
 *             try (b) { ... b.buffer(0) ... }
 *         }
 *     }
 * }
 * }</pre>
 */
public final class Loader implements AutoCloseable {

    private final Dataset dataset;
    private final LoaderConfig config;
    private final Split split;
    private final int stagingBytes;
    private final int[] fieldIndex;
    private final List<FieldSpec> fields;
    private final BatchPool pool;
    private final ShardFetcher fetcher;
    private Prepared prepared;
    private final LoaderMetrics metrics;
    private final HostAllocator shardMemory;
    private final boolean ownsShardMemory;
    private final String planId;
    private final DecodeStage decode;

    /**
     * @param dataset the dataset to read
     * @param config split, batch size, order, rank and I/O settings
     * @param batchMemory memory for batch buffers (pinned with a GPU)
     * @param shardMemory memory for shard slabs, or null for plain direct memory
     * @param cache local shard cache, or null for none
     */
    public Loader(Dataset dataset, LoaderConfig config, HostAllocator batchMemory, HostAllocator shardMemory,
                  ShardCache cache) {
        this.dataset = dataset;
        this.config = config;
        this.metrics = new LoaderMetrics(dataset.store()::stats);
        this.split = dataset.manifest().split(config.split());
        List<String> names = config.fields().isEmpty()
                ? dataset.schema().fields().stream().map(FieldSpec::name).toList()
                : config.fields();
        this.fieldIndex = new int[names.size()];
        List<FieldSpec> specs = new ArrayList<>();
        ImageStage images = config.images();
        int imageSlot = -1;
        for (int i = 0; i < names.size(); i++) {
            FieldSpec spec = dataset.schema().field(names.get(i));
            fieldIndex[i] = dataset.schema().indexOf(names.get(i));
            if (images != null && spec.name().equals(images.field())) {
                if (spec.dtype() != DType.BYTES || !(spec.encoding() == null || spec.encoding().equals("jpeg")
                        || spec.encoding().equals("png"))) {
                    throw new IllegalArgumentException("field '" + spec.name() + "' (" + spec + ") of "
                            + dataset.store().location() + " is not an encoded image; the decode stage reads bytes"
                            + " fields with encoding jpeg or png");
                }
                // delivered decoded: uint8 [height, width, 3], RGB
                specs.add(FieldSpec.of(spec.name(), DType.UINT8, images.height(), images.width(), 3));
                imageSlot = i;
                continue;
            }
            if (spec.variable()) {
                // batches collate fixed-size values; encoded or variable values need a decode stage first
                throw new IllegalArgumentException("field '" + spec.name() + "' (" + spec + ") of "
                        + dataset.store().location() + " is variable-length and cannot be collated into batches"
                        + " as stored; choose fixed-size fields, or give an encoded image field a decode stage"
                        + " (LoaderConfig.withImages; the dataset has " + dataset.schema() + ")");
            }
            specs.add(spec);
        }
        if (images != null && imageSlot < 0) {
            throw new IllegalArgumentException("the decode stage names field '" + images.field()
                    + "', which is not among the fields read " + names + " (the dataset has " + dataset.schema() + ")");
        }
        this.fields = List.copyOf(specs);
        this.stagingBytes = imageSlot >= 0 ? initialStagingBytes(split, config.batchSize(),
                dataset.schema().field(images.field()).compression()) : 0;
        this.ownsShardMemory = shardMemory == null;
        this.shardMemory = shardMemory == null ? new DirectAllocator() : shardMemory;
        this.decode = images == null ? null : new DecodeStage(images, dataset, fieldIndex[imageSlot], imageSlot);
        try {
            this.pool = new BatchPool(batchMemory, fields, config.batchSize(), config.batchBuffers(), stagingBytes);
        } catch (RuntimeException | Error e) {
            closeDecode();
            throw e;
        }
        this.planId = planId(shardSamples(), config.shuffle(), config.window(), config.remainder());
        int slabs = config.window() + Math.max(1, config.prefetch());
        try {
            this.fetcher = new ShardFetcher(dataset, split.shards(), this.shardMemory, slabs, config.partBytes(),
                    config.verifyChecksums(), metrics, cache);
        } catch (RuntimeException | Error e) {
            // a shard too large for a slab, or no memory for the slabs: the batch pool is not handed to anyone
            pool.close();
            closeDecode();
            throw e;
        }
    }

    /** A loader with plain direct memory for shard slabs and no shard cache. */
    public Loader(Dataset dataset, LoaderConfig config, HostAllocator batchMemory) {
        this(dataset, config, batchMemory, null, null);
    }

    /** A loader without a shard cache. */
    public Loader(Dataset dataset, LoaderConfig config, HostAllocator batchMemory, HostAllocator shardMemory) {
        this(dataset, config, batchMemory, shardMemory, null);
    }

    /**
     * Starts (or resumes) an epoch for this loader's rank. One stream at a time.
     *
     * @param state where the epoch stands; {@link LoaderState#start} for a fresh epoch
     */
    public EpochStream open(LoaderState state) {
        return open(state, null);
    }

    /**
     * Like {@link #open(LoaderState)}, and also fetches the first shards of {@code then} (typically
     * {@code state.nextEpoch()}) while this epoch ends, in slabs this epoch has finished with, so the
     * next epoch's first batch does not wait for its shards. Opening anything other than
     * {@code then} next discards that work.
     *
     * @param then the state that will be opened after this epoch, or null
     * @throws IllegalArgumentException if {@code state} or {@code then} does not fit this loader (seed,
     *     plan, lockstep); no stream is left running
     */
    public synchronized EpochStream open(LoaderState state, LoaderState then) {
        check(state);
        if (then != null) {
            check(then);
        }
        Prepared p = prepared;
        prepared = null;
        if (p != null && !p.state().equals(state)) {
            p.session().close();
            metrics.publish(p.session().fetches()); // wasted, but read all the same
            p = null;
        }
        if (p == null) {
            p = prepare(state, CompletableFuture.completedFuture(null));
        }
        // from here on this epoch's fetches count, those made ahead while the last one ended included
        metrics.publish(p.session().fetches());
        EpochStream stream = new EpochStream(this, p.plan(), state.withPlan(planId), p.cursor(), p.session());
        if (then != null) {
            try {
                prepared = prepare(then, p.session().allIssued());
            } catch (RuntimeException | Error e) {
                // a state the plan rejects: the stream just started must not keep its slabs and batches
                stream.close();
                throw e;
            }
        }
        return stream;
    }

    /** A plan and its fetch session, started ahead of the stream that will use them. */
    private record Prepared(LoaderState state, EpochPlan plan, EpochPlan.Cursor cursor, ShardFetcher.Session session) {}

    private Prepared prepare(LoaderState state, CompletableFuture<Void> after) {
        EpochPlan plan = new EpochPlan(shardSamples(), state.seed(), state.epoch(), config.shuffle(),
                config.remainder(), config.window());
        EpochPlan.Cursor c = plan.resume(state, config.worldSize(), config.rank());
        return new Prepared(state, plan, c, fetcher.startAfter(c.plan().runs(), c.done(), after));
    }

    /**
     * The sample ids this loader's rank draws from {@code state} to the end of the epoch, computed
     * from the index alone (see {@link EpochOrder#sampleIds}); {@link #open} delivers them in this
     * order.
     */
    public long[] order(LoaderState state) {
        check(state);
        return EpochOrder.sampleIds(shardSamples(), config, state);
    }

    private void check(LoaderState state) {
        if (state.seed() != config.seed() && config.shuffle()) {
            throw new IllegalArgumentException("loader state has seed " + state.seed() + " but the loader was configured"
                    + " with seed " + config.seed() + "; resume with the same --seed");
        }
        if (state.plan() != null && !state.plan().equals(planId) && state.consumed() > 0) {
            throw new IllegalArgumentException("loader state was saved under plan '" + state.plan()
                    + "' but this loader's plan is '" + planId + "': resuming would repeat and skip samples."
                    + " Resume with the same dataset split, shuffle window and remainder policy (the batch size and"
                    + " the number of ranks may change), or start the epoch afresh");
        }
    }

    private long[] shardSamples() {
        long[] counts = new long[split.shards().size()];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = split.shards().get(i).samples();
        }
        return counts;
    }

    /**
     * What the order depends on besides seed, epoch and world size, as a short text: shuffle and
     * window, remainder policy, and the split's shard sample counts (count, total and a CRC32 of
     * them). Stored in every {@link LoaderState} this loader writes and compared on resume.
     */
    public String planId() {
        return planId;
    }

    static String planId(long[] shardSamples, boolean shuffle, int window, Remainder remainder) {
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        long total = 0;
        for (long n : shardSamples) {
            crc.update((Long.toString(n) + ",").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            total += n;
        }
        return (shuffle ? "shuffle window=" + window : "sequential") + " remainder="
                + remainder.name().toLowerCase(java.util.Locale.ROOT) + " shards=" + shardSamples.length
                + " samples=" + total + " counts=" + String.format("%08x", crc.getValue());
    }

    /**
     * The host memory this loader holds, fixed when it is built (docs/LOADER.md "Memory bound"), but
     * for the decode stage's staging buffers, which grow when a batch's encoded images do not fit:
     * {@link Memory#stagingBytes} is what they hold when this is called.
     *
     * @param slabs shard slabs: {@code window + max(1, prefetch)}
     * @param slabBytes bytes of each slab: the split's largest shard
     * @param shuffleSamples most samples in the shuffle buffer: {@code w * maxShardSamples}, with
     *     {@code w} the window when shuffling and 1 otherwise
     * @param shuffleBytes most shard bytes the open runs span: {@code w * maxShardBytes}, inside the slabs
     * @param batchBytes the batch pool: {@code batchBuffers * batchSize * bytes of the collated fields per sample}
     * @param indexBytes the shuffle's index arrays: {@code 4 * shuffleSamples}
     * @param stagingBytes with an image decode stage, the batches' staging buffers of encoded images,
     *     allocated with the batch pool: {@code batchBuffers} buffers of {@link #initialStagingBytes}
     *     each (1 MiB for uncompressed images, which are decoded in the slabs). The one part that can
     *     grow, so this is its size at the time of the call: a buffer is replaced by one at least twice
     *     as large (at most 2 GiB) when a batch's staged images do not fit. 0 without a decode stage
     *     and once the loader is closed
     */
    public record Memory(int slabs, long slabBytes, long shuffleSamples, long shuffleBytes, long batchBytes,
                         long indexBytes, long stagingBytes) {
        /** Shard slabs in bytes. */
        public long shardBytes() {
            return slabs * slabBytes;
        }

        /** Everything: slabs, batch pool, shuffle index and decode staging. */
        public long totalBytes() {
            return shardBytes() + batchBytes + indexBytes + stagingBytes;
        }
    }

    /** The memory bound of this loader. */
    public Memory memory() {
        long maxSamples = 0;
        for (ShardInfo s : split.shards()) {
            maxSamples = Math.max(maxSamples, s.samples());
        }
        int w = config.shuffle() ? config.window() : 1;
        long perSample = 0;
        for (FieldSpec f : fields) {
            perSample += f.sampleBytes();
        }
        long shuffleSamples = w * maxSamples;
        return new Memory(fetcher.slabCount(), fetcher.slabBytes(), shuffleSamples, w * fetcher.slabBytes(),
                (long) config.batchBuffers() * config.batchSize() * perSample, 4 * shuffleSamples,
                pool.stagingBytes());
    }

    /**
     * Batches this rank gets in a fresh epoch, a final partial batch included unless
     * {@link LoaderConfig#dropLast()}. The same for every rank, except with {@link Remainder#UNEVEN},
     * where ranks' shares differ by one sample.
     */
    public long batchesPerEpoch() {
        long per = new EpochPlan(new long[] {split.samples()}, config.seed(), 0, false, config.remainder(), 1)
                .rankSamples(split.samples(), config.worldSize(), config.rank());
        return config.dropLast() ? per / config.batchSize() : (per + config.batchSize() - 1) / config.batchSize();
    }

    public Dataset dataset() {
        return dataset;
    }

    public LoaderConfig config() {
        return config;
    }

    public Split split() {
        return split;
    }

    /** Fields each batch holds, in buffer order. */
    public List<FieldSpec> fields() {
        return fields;
    }

    public LoaderMetrics metrics() {
        return metrics;
    }

    /** The decode stage, or null without {@link LoaderConfig#images()}. */
    DecodeStage decode() {
        return decode;
    }

    /**
     * First size of a batch's staging buffer for encoded images (it grows when a batch needs more).
     * Uncompressed images are decoded where they lie in the slabs, and staging only holds those a
     * batch copies out of a slab that must go back early: 1 MiB. Compressed images are all
     * decompressed into it: a batch of samples of the split's mean stored size (all fields: an
     * overestimate of the images), plus a quarter, between 1 MiB and 64 MiB (so that a large
     * non-image field cannot make the loader reserve gigabytes up front).
     */
    static int initialStagingBytes(Split split, int batchSize, Compression images) {
        if (images == Compression.NONE) {
            return 1 << 20;
        }
        long meanBytes = split.samples() == 0 ? 0 : (split.bytes() + split.samples() - 1) / split.samples();
        return (int) Math.max(1L << 20, Math.min(64L << 20, meanBytes * batchSize / 4 * 5));
    }

    /** First size of a batch's staging buffer; see {@link #initialStagingBytes}. 0 without a decode stage. */
    int stagingBytes() {
        return stagingBytes;
    }

    /**
     * Images skipped because they did not decode, since this loader was built (0 without a decode
     * stage, and always 0 with strict decoding, which fails the stream instead).
     */
    public long decodeFailures() {
        return decode == null ? 0 : decode.failures();
    }

    /** The decoder in use ({@code opencv}, {@code imageio} or {@code nvjpeg}), or null without a decode stage. */
    public String decoderName() {
        return decode == null ? null : decode.decoderName();
    }

    private void closeDecode() {
        if (decode != null) {
            decode.close();
        }
    }

    BatchPool pool() {
        return pool;
    }

    ShardFetcher fetcher() {
        return fetcher;
    }

    int[] fieldIndex() {
        return fieldIndex;
    }

    List<ShardInfo> shards() {
        return split.shards();
    }

    /** Frees batch and shard memory. Every batch must be closed first. */
    @Override
    public void close() {
        synchronized (this) {
            if (prepared != null) {
                prepared.session().close();
                metrics.publish(prepared.session().fetches());
                prepared = null;
            }
        }
        // the decode threads first: a task still running (a stream left open) reads the slabs and
        // writes into the batches, so both are freed only once the threads are gone
        try {
            closeDecode();
        } finally {
            try {
                fetcher.close();
            } finally {
                pool.close();
            }
        }
    }
}
