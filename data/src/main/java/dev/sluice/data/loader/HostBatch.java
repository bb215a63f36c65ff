package dev.sluice.data.loader;

import dev.sluice.data.format.FieldSpec;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * One collated batch in pooled host memory: per field, the values of {@link #size()} samples back
 * to back (sample-major, as stored), plus each sample's global id. Closing hands the memory back to
 * the pool; the batch must not be used afterwards.
 */
public final class HostBatch implements AutoCloseable {

    private final BatchPool pool;
    private final List<FieldSpec> fields;
    private final ByteBuffer[] buffers;
    private final long[] ids;
    private int size;
    private long index;
    private boolean inUse;

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
        for (int f = 0; f < buffers.length; f++) {
            buffers[f].position(0).limit((int) (size * fields.get(f).sampleBytes()));
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
