package dev.sluice.data.loader;

import dev.sluice.data.format.FieldSpec;
import dev.sluice.data.format.ShardInfo;
import dev.sluice.data.format.ShardView;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * One collated batch in pooled host memory: per field, the values of {@link #size()} samples back
 * to back (sample-major, as stored), plus each sample's global id. Closing hands the memory back to
 * the pool; the batch must not be used afterwards.
 */
public final class HostBatch implements AutoCloseable {

    /** Largest staging buffer: the most a direct buffer can hold, less a margin the JDK keeps. */
    static final int MAX_STAGING = Integer.MAX_VALUE - 8;

    private final BatchPool pool;
    private final List<FieldSpec> fields;
    private final ByteBuffer[] buffers;
    private final long[] ids;
    private int size;
    private int drawn;
    private long index;
    private boolean inUse;
    // decode stage only. Each slot's encoded value is read where it lies in its shard's slab
    // (source[k]); a compressed value, or one whose slab had to go back before this batch was
    // decoded, is copied into the staging buffer instead (source[k] null), direct memory allocated
    // with the pool and replaced by a larger one when a batch's values do not fit. Per slot also the
    // run it came from, where it came from (for warnings) and whether it failed to decode; and the
    // runs whose slabs go back once this batch is decoded (EpochStream's deferred releases)
    ByteBuffer staged;
    ByteBuffer[] source;
    int[] valueOffset;
    int[] valueLength;
    int stagedBytes;
    int[] runs;
    int[] locals;
    ShardInfo[] shards;
    boolean[] bad;
    int[] deferred;
    int deferredCount;
    volatile Throwable failure;

    HostBatch(BatchPool pool, List<FieldSpec> fields, ByteBuffer[] buffers, int capacity) {
        this.pool = pool;
        this.fields = fields;
        this.buffers = buffers;
        this.ids = new long[capacity];
    }

    /** Samples in this batch (the batch size, or fewer for a final partial batch). */
    public int size() {
        return size;
    }

    /**
     * Samples this batch used up from the epoch: {@link #size()} plus those skipped because their
     * image did not decode. Loader state counts these, so a resume neither repeats nor skips.
     */
    public int drawn() {
        return drawn;
    }

    /** Samples this batch can hold. */
    public int capacity() {
        return ids.length;
    }

    /** Number of the batch within its epoch stream, from 0. */
    public long index() {
        return index;
    }

    /** The collated fields, in the order of {@link #buffer(int)}. */
    public List<FieldSpec> fields() {
        return fields;
    }

    /**
     * Values of field {@code f} for all samples: a direct buffer with position 0 and limit
     * {@code size() * sampleBytes}. Do not keep it past {@link #close()}.
     */
    public ByteBuffer buffer(int f) {
        return buffers[f];
    }

    /** Global id (position in manifest order within the split) of sample {@code i}. */
    public long sampleId(int i) {
        return ids[i];
    }

    void reset(long batchIndex) {
        size = 0;
        drawn = 0;
        stagedBytes = 0;
        deferredCount = 0;
        failure = null;
        index = batchIndex;
        inUse = true;
        for (ByteBuffer b : buffers) {
            b.clear();
        }
    }

    /** Offset in field {@code f}'s buffer where the next sample goes; records its id. */
    int slot(long sampleId) {
        ids[size] = sampleId;
        return size++;
    }

    void seal() {
        drawn = Math.max(drawn, size);
        for (int f = 0; f < buffers.length; f++) {
            buffers[f].position(0).limit((int) (size * fields.get(f).sampleBytes()));
        }
    }

    /**
     * Prepares the per-slot arrays of the decode stage (once per pooled batch; its staging buffer came
     * with the pool).
     *
     * @param maxDeferred most runs whose release this batch may hold back
     */
    void ensureDecodeSlots(int maxDeferred) {
        if (staged == null) {
            throw new IllegalStateException("this batch pool was built without staging buffers for a decode stage");
        }
        if (source == null) {
            source = new ByteBuffer[ids.length];
            valueOffset = new int[ids.length];
            valueLength = new int[ids.length];
            runs = new int[ids.length];
            locals = new int[ids.length];
            shards = new ShardInfo[ids.length];
            bad = new boolean[ids.length];
        }
        if (deferred == null || deferred.length != maxDeferred) {
            deferred = new int[maxDeferred];
        }
    }

    /**
     * Drops the slots marked bad, moving later samples down in every field buffer; {@link #drawn()}
     * still counts them. Call before {@link #seal()}.
     */
    void compact() {
        drawn = size;
        int keep = 0;
        for (int k = 0; k < size; k++) {
            if (bad[k]) {
                continue;
            }
            if (keep != k) {
                ids[keep] = ids[k];
                for (int f = 0; f < buffers.length; f++) {
                    int step = (int) fields.get(f).sampleBytes();
                    buffers[f].put(keep * step, buffers[f].duplicate(), k * step, step);
                }
            }
            keep++;
        }
        java.util.Arrays.fill(bad, 0, size, false);
        size = keep;
    }

    /**
     * Records field {@code f} of sample {@code i} of {@code view} (run {@code run}) as slot {@code k}'s
     * encoded input: where it lies in the shard's slab when stored uncompressed, else decompressed
     * into this batch's staging buffer.
     */
    void place(int k, ShardView view, int f, int i, int run) throws java.io.IOException {
        runs[k] = run;
        if (view.index().compressed(f)) {
            source[k] = null;
            stage(k, view, f, i);
            return;
        }
        long start = view.index().valueStart(f, i);
        source[k] = view.buffer();
        valueOffset[k] = (int) start;
        valueLength[k] = (int) (view.index().valueEnd(f, i) - start);
    }

    /** The buffer slot {@code k}'s encoded value lies in (at {@link #valueOffset}). */
    ByteBuffer input(int k) {
        return source[k] != null ? source[k] : staged;
    }

    /**
     * Copies into the staging buffer every value of this batch still read in place from run
     * {@code run}'s slab, so that the slab can go back before this batch is decoded.
     */
    void spill(int run) throws LoaderException {
        for (int k = 0; k < size; k++) {
            if (runs[k] == run && source[k] != null) {
                int len = valueLength[k];
                int at = reserve(len, "shard " + shards[k].key(), k);
                staged.put(at, source[k], valueOffset[k], len);
                source[k] = null;
                valueOffset[k] = at;
            }
        }
    }

    /**
     * Holds back the release of run {@code run}'s slab until this batch is decoded, unless as many
     * runs as {@link #ensureDecodeSlots} allowed are held back already.
     *
     * @return whether it was held back
     */
    boolean defer(int run) {
        if (deferredCount >= deferred.length) {
            return false;
        }
        deferred[deferredCount++] = run;
        return true;
    }

    /**
     * Copies the encoded value of field {@code f} of sample {@code i} of {@code view} into this batch's
     * staging buffer as slot {@code k}'s input (decompressing it).
     */
    private void stage(int k, ShardView view, int f, int i) throws java.io.IOException {
        int len = view.valueBytes(f, i);
        int at = reserve(len, "field '" + view.index().schema().field(f).name() + "' (" + view.index().where() + ")", k);
        view.copy(f, i, staged, at);
        valueOffset[k] = at;
        valueLength[k] = len;
    }

    /**
     * Makes room for {@code len} more bytes in the staging buffer, growing it when needed (rarely: it
     * keeps its size across batches), and returns where they go.
     */
    private int reserve(int len, String what, int k) throws LoaderException {
        if (staged.capacity() - stagedBytes < len) {
            long need = (long) stagedBytes + len;
            if (need > MAX_STAGING) {
                throw new LoaderException("the encoded images of one batch of " + ids.length + " samples pass "
                        + (MAX_STAGING >> 20) + " MiB at sample " + (k + 1) + ", " + what + "; use a smaller batch size",
                        null);
            }
            int grown = (int) Math.min(MAX_STAGING, Math.max(2L * staged.capacity(), need));
            ByteBuffer bigger = pool.allocateStaging(grown);
            bigger.put(0, staged, 0, stagedBytes);
            pool.freeStaging(staged);
            staged = bigger;
        }
        int at = stagedBytes;
        stagedBytes += len;
        return at;
    }

    /** Hands the staging buffer back to the pool (when the pool frees this batch's memory). */
    void freeStaging() {
        if (staged != null) {
            pool.freeStaging(staged);
            staged = null;
        }
    }

    boolean full() {
        return size == ids.length;
    }

    ByteBuffer[] raw() {
        return buffers;
    }

    @Override
    public void close() {
        if (inUse) {
            inUse = false;
            pool.release(this);
        }
    }
}
