package dev.sluice.data.loader;

import dev.sluice.data.format.FieldSpec;
import dev.sluice.data.memory.DirectAllocator;
import dev.sluice.data.memory.HostAllocator;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * A fixed set of host batch buffers, allocated once at start from a {@link HostAllocator} (pinned
 * when a GPU is present) and reused for every batch, so the hot path allocates nothing (except when
 * a batch's encoded images outgrow its staging buffer, which is then replaced by a larger one).
 */
public final class BatchPool implements AutoCloseable {

    private final HostAllocator allocator;
    /**
     * The decode stage's staging buffers (encoded images; the OpenCV decoder reads them in place):
     * plain direct memory even where batches are pinned, since only the host reads them.
     */
    private final DirectAllocator staging = new DirectAllocator();
    private final List<HostBatch> all = new ArrayList<>();
    private final BlockingQueue<HostBatch> free;
    private boolean closed;

    /**
     * @param allocator source of the memory
     * @param fields fields each batch holds
     * @param batchSize samples per batch
     * @param depth number of batches
     */
    public BatchPool(HostAllocator allocator, List<FieldSpec> fields, int batchSize, int depth) {
        this(allocator, fields, batchSize, depth, 0);
    }

    /**
     * As above, each batch with a staging buffer of {@code stagingBytes} for a decode stage's encoded
     * images (0 for none).
     */
    BatchPool(HostAllocator allocator, List<FieldSpec> fields, int batchSize, int depth, int stagingBytes) {
        this.allocator = allocator;
        this.free = new ArrayBlockingQueue<>(depth);
        ByteBuffer[] bufs = null;
        try {
            for (int d = 0; d < depth; d++) {
                bufs = new ByteBuffer[fields.size()];
                for (int f = 0; f < bufs.length; f++) {
                    bufs[f] = allocator.allocate(Math.toIntExact(fields.get(f).sampleBytes() * batchSize));
                }
                HostBatch b = new HostBatch(this, List.copyOf(fields), bufs, batchSize);
                bufs = null;
                all.add(b);
                free.add(b);
                if (stagingBytes > 0) {
                    b.staged = staging.allocate(stagingBytes);
                }
            }
        } catch (RuntimeException | Error e) {
            // out of (pinned) memory part way: hand back what was allocated, nobody else can
            if (bufs != null) {
                freeAll(bufs);
            }
            for (HostBatch b : all) {
                freeAll(b.raw());
                b.freeStaging();
            }
            throw e;
        }
    }

    private void freeAll(ByteBuffer[] bufs) {
        for (ByteBuffer buf : bufs) {
            if (buf != null) {
                allocator.free(buf);
            }
        }
    }

    /** Waits for a free batch. */
    HostBatch acquire(long batchIndex) throws InterruptedException {
        HostBatch b = free.take();
        b.reset(batchIndex);
        return b;
    }

    void release(HostBatch b) {
        free.add(b);
    }

    /** A larger staging buffer for a batch whose encoded images do not fit its own; see {@link #freeStaging}. */
    ByteBuffer allocateStaging(int bytes) {
        return staging.allocate(bytes);
    }

    /** Hands back a staging buffer of {@link #allocateStaging}. */
    void freeStaging(ByteBuffer buf) {
        staging.free(buf);
    }

    /** Staging bytes allocated and not yet freed (tests check that closing frees them all). */
    long stagingBytes() {
        return staging.liveBytes();
    }

    /** Batches currently handed out. */
    public int inUse() {
        return all.size() - free.size();
    }

    /** Number of batches in the pool. */
    public int depth() {
        return all.size();
    }

    /**
     * Frees the memory; every batch must have been closed.
     *
     * @throws IllegalStateException if batches are still out (their memory is then not freed)
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        int out = inUse();
        // free only returned batches: a batch still out may back a live tensor, and freeing it would
        // turn a leak into memory corruption
        HostBatch b;
        while ((b = free.poll()) != null) {
            freeAll(b.raw());
            b.freeStaging();
        }
        if (out > 0) {
            throw new IllegalStateException(out + " host batches were still in use when their pool closed;"
                    + " close every HostBatch before the loader");
        }
    }
}
