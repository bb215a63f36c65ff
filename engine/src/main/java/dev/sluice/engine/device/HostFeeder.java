package dev.sluice.engine.device;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.sluice.data.loader.EpochStream;
import dev.sluice.data.loader.HostBatch;
import dev.sluice.data.transform.CpuBatchTransform;
import dev.sluice.data.transform.TransformSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * The CPU feeder: runs {@link CpuBatchTransform} (the bit-exact twin of the CUDA kernels) from each
 * pooled host batch straight into the memory of a preallocated float32 NCHW tensor, and converts the
 * labels into an int64 tensor, with no DJL conversion ops and no per-batch tensor allocation. The
 * host batch goes back to the loader's pool before {@link #next()} returns.
 *
 * <p>The float and label tensors form a small ring. A batch hands the trainer views of one ring
 * slot, attached to a fresh sub-manager; the slot is written again only after that
 * {@link DeviceBatch} is closed, so a batch the trainer still holds is never overwritten. Asking
 * for a batch while every slot is held is an error, not a silent overwrite.
 *
 * <p>Augmentation (random crop and flip of the {@link TransformSpec}) draws sample {@code i} of the
 * epoch's stream from sample id {@code skipped + i}, where {@code skipped} is what a resumed stream
 * skipped: a resumed epoch augments exactly as the uninterrupted one.
 */
public final class HostFeeder implements Feeder {

    /** Slots in the ring by default: one batch held by the trainer while the next is produced. */
    public static final int DEFAULT_RING = 2;

    private final EpochStream stream;
    private final NDManager parent;
    private final NDManager ringManager;
    private final FeedSpec input;
    private final CpuBatchTransform transform;
    private final LabelConverter labels;
    private final int imageIndex;
    private final int labelIndex;
    private final Slot[] ring;
    private long delivered;
    private int allocatedSlots;
    private boolean closed;

    private static final class Slot {
        NDArray images;
        NDArray labels;
        ByteBuffer imageMemory;
        ByteBuffer labelMemory;
        int capacity;
        boolean held;
    }

    /**
     * A feeder without augmentation, with the fields at the given indices.
     *
     * @param stream the epoch's host batches (closed with the feeder)
     * @param parent manager on the CPU; each batch gets a sub-manager
     * @param input which fields and how to normalize
     * @param imageIndex index of the image field within the batch
     * @param labelIndex index of the label field within the batch
     */
    public HostFeeder(EpochStream stream, NDManager parent, FeedSpec input, int imageIndex, int labelIndex) {
        this(stream, parent, input, input.transform(), DEFAULT_RING, imageIndex, labelIndex);
    }

    /**
     * @param stream the epoch's host batches (closed with the feeder)
     * @param parent manager on the CPU; ring tensors live in a sub-manager of it, each batch in another
     * @param input which fields (found by name among the stream's fields) and the class count
     * @param transform {@code input.transform()}, or {@code input.augmented(...)} to crop and flip
     * @param ring tensor slots, at least 1: batches the trainer may hold at once
     */
    public HostFeeder(EpochStream stream, NDManager parent, FeedSpec input, TransformSpec transform, int ring) {
        this(stream, parent, input, transform, ring, input.imageIndex(stream.fields()),
                input.labelIndex(stream.fields()));
    }

    private HostFeeder(EpochStream stream, NDManager parent, FeedSpec input, TransformSpec transform, int ring,
                       int imageIndex, int labelIndex) {
        this.stream = Objects.requireNonNull(stream, "stream");
        this.parent = Objects.requireNonNull(parent, "parent");
        this.input = input;
        if (ring < 1) {
            throw new IllegalArgumentException("ring must hold at least 1 slot, got " + ring);
        }
        if (!Device.Type.CPU.equals(parent.getDevice().getDeviceType())) {
            throw new IllegalArgumentException("HostFeeder writes tensors through host memory, but the manager is on "
                    + parent.getDevice() + "; use the device's own feeder (ComputeDevice.feeder)");
        }
        input.checkTransform(transform);
        long stored = stream.fields().get(imageIndex).sampleBytes();
        if (stored != transform.inputBytesPerSample()) {
            throw new IllegalArgumentException("field '" + stream.fields().get(imageIndex).name() + "' stores " + stored
                    + " bytes per sample but the transform expects " + transform.inputBytesPerSample()
                    + " (uint8 " + input.height() + "x" + input.width() + "x" + input.channels() + ")");
        }
        this.transform = new CpuBatchTransform(transform);
        this.labels = new LabelConverter(stream.fields().get(labelIndex), input.numClasses());
        this.imageIndex = imageIndex;
        this.labelIndex = labelIndex;
        this.ring = new Slot[ring];
        for (int i = 0; i < ring; i++) {
            this.ring[i] = new Slot();
        }
        this.ringManager = parent.newSubManager();
    }

    /**
     * The next batch, or null at the end of the epoch.
     *
     * @throws IllegalStateException if every ring slot is held by an open batch (close batches first)
     * @throws IOException the loader's error
     */
    @Override
    public DeviceBatch next() throws IOException {
        if (closed) {
            throw new IllegalStateException("the feeder is closed");
        }
        // pick the slot before taking a host batch, so a full ring leaks nothing
        Slot slot = freeSlot();
        long t0 = System.nanoTime();
        HostBatch hb = stream.next();
        long t1 = System.nanoTime();
        if (hb == null) {
            return null;
        }
        long first = stream.skippedSamples() + delivered;
        int n;
        try (hb) {
            n = hb.size();
            if (slot.images == null || slot.capacity < hb.capacity()) {
                allocate(slot, hb.capacity());
            }
            transform.apply(hb.buffer(imageIndex), n, first, slot.imageMemory);
            labels.convert(hb, labelIndex, n, slot.labelMemory);
        }
        long t2 = System.nanoTime();
        NDManager m = parent.newSubManager();
        try {
            NDIndex rows = new NDIndex().addSliceDim(0, n);
            NDArray x = slot.images.get(m, rows);
            NDArray y = slot.labels.get(m, rows);
            synchronized (this) {
                slot.held = true;
            }
            delivered += n;
            long transformNanos = t2 - t1;
            return new DeviceBatch(x, y, n, t1 - t0, () -> 0L, () -> transformNanos, m, () -> release(slot), first);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    private synchronized Slot freeSlot() {
        Slot fallback = null;
        for (Slot s : ring) {
            if (!s.held) {
                if (s.images != null) {
                    return s;
                }
                if (fallback == null) {
                    fallback = s;
                }
            }
        }
        if (fallback == null) {
            throw new IllegalStateException("all " + ring.length + " feeder buffers are held by open DeviceBatches;"
                    + " close each batch before asking for more than " + ring.length + " at once");
        }
        return fallback;
    }

    private synchronized void release(Slot slot) {
        slot.held = false;
    }

    private void allocate(Slot slot, int capacity) {
        if (slot.images != null) {
            slot.images.close();
            slot.labels.close();
        }
        slot.images = ringManager.create(new Shape(capacity, input.channels(), input.height(), input.width()),
                DataType.FLOAT32);
        slot.labels = ringManager.create(new Shape(capacity), DataType.INT64);
        slot.imageMemory = PyTorchInternals.memory(slot.images);
        slot.labelMemory = PyTorchInternals.memory(slot.labels);
        slot.capacity = capacity;
        allocatedSlots++;
    }

    /** Ring slots allocated so far (each a float32 input and an int64 label tensor). */
    public int allocatedSlots() {
        return allocatedSlots;
    }

    /** Samples delivered so far in this stream. */
    public long delivered() {
        return delivered;
    }

    /**
     * Frees the ring tensors and closes the stream. Views held by open batches stay valid (PyTorch
     * keeps the storage alive) but are no longer reused. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            ringManager.close();
        } finally {
            stream.close();
        }
    }
}
