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
    // decode stage only: each slot's encoded value, copied out of its shard so the shard's slab goes
    // back at once, into direct memory allocated with the pool (the OpenCV decoder reads it in place;
    // it is replaced by a larger one when a batch's values do not fit); per slot (arrays allocated on
    // first use), where the value came from (for warnings) and whether it failed to decode
    ByteBuffer staged;
    int[] stagedOffset;
    int[] stagedLength;
    int stagedBytes;
    int[] locals;
    ShardInfo[] shards;
    boolean[] bad;
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
     */
    void ensureDecodeSlots() {
        if (staged == null) {
            throw new IllegalStateException("this batch pool was built without staging buffers for a decode stage");
        }
        if (stagedOffset == null) {
            stagedOffset = new int[ids.length];
            stagedLength = new int[ids.length];
            locals = new int[ids.length];
            shards = new ShardInfo[ids.length];
            bad = new boolean[ids.length];
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
     * Copies the encoded value of field {@code f} of sample {@code i} of {@code view} into this batch's
     * staging buffer as slot {@code k}'s input, growing the buffer when needed (rarely: it keeps its
     * size across batches).
     */
    void stage(int k, ShardView view, int f, int i) throws java.io.IOException {
        int len = view.valueBytes(f, i);
        if (staged.capacity() - stagedBytes < len) {
            long need = (long) stagedBytes + len;
            if (need > MAX_STAGING) {
                throw new LoaderException("the encoded values of field '" + view.index().schema().field(f).name()
                        + "' in one batch of " + ids.length + " samples pass " + (MAX_STAGING >> 20) + " MiB at sample "
                        + (k + 1) + " (" + view.index().where() + "); use a smaller batch size", null);
            }
            int grown = (int) Math.min(MAX_STAGING, Math.max(2L * staged.capacity(), need));
            ByteBuffer bigger = pool.allocateStaging(grown);
            bigger.put(0, staged, 0, stagedBytes);
            pool.freeStaging(staged);
            staged = bigger;
        }
        view.copy(f, i, staged, stagedBytes);
        stagedOffset[k] = stagedBytes;
        stagedLength[k] = len;
        stagedBytes += len;
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
