package dev.sluice.engine.device;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.function.LongSupplier;

/**
 * A batch on a replica's device: float32 NCHW inputs, int64 labels, and the time it took to get
 * here. The tensors are views of buffers the feeder reuses; closing the batch frees the views and
 * whatever the step attached to {@link #manager()} (activations, loss) and hands the buffers back
 * to the feeder. Use a batch only until it is closed, and close every batch (try-with-resources).
 */
public final class DeviceBatch implements AutoCloseable {

    private final NDArray inputs;
    private final NDArray labels;
    private final int size;
    private final long dataWaitNanos;
    private final NDManager manager;
    private final long firstSampleId;
    private LongSupplier copyTimer;
    private LongSupplier transformTimer;
    private long copyNanos;
    private long transformNanos;
    private Runnable onClose;
    private boolean closed;

    /**
     * A batch whose tensors {@code manager} owns outright (nothing to hand back, times known).
     *
     * @param inputs {@code [N, C, H, W]} float32, normalized
     * @param labels {@code [N]} int64 class ids
     * @param size samples in the batch
     * @param dataWaitNanos time spent waiting for the loader
     * @param copyNanos time spent moving the batch to the device (host-to-device)
     * @param manager owner of the tensors
     */
    public DeviceBatch(NDArray inputs, NDArray labels, int size, long dataWaitNanos, long copyNanos,
                       NDManager manager) {
        this(inputs, labels, size, dataWaitNanos, () -> copyNanos, () -> 0L, manager, () -> { }, -1);
    }

    /**
     * A batch over reusable feeder buffers.
     *
     * @param copyTimer host-to-device time, resolved at most once, at the latest on close (CUDA
     *     events are read only once the copy has finished)
     * @param transformTimer time converting stored bytes to normalized floats, resolved likewise
     * @param onClose hands the buffers back to the feeder, after the views are freed
     * @param firstSampleId sample id the augmentation of the first sample drew from
     */
    DeviceBatch(NDArray inputs, NDArray labels, int size, long dataWaitNanos, LongSupplier copyTimer,
                LongSupplier transformTimer, NDManager manager, Runnable onClose, long firstSampleId) {
        this.inputs = inputs;
        this.labels = labels;
        this.size = size;
        this.dataWaitNanos = dataWaitNanos;
        this.copyTimer = copyTimer;
        this.transformTimer = transformTimer;
        this.manager = manager;
        this.onClose = onClose;
        this.firstSampleId = firstSampleId;
    }

    /** {@code [N, C, H, W]} float32, normalized (and augmented when the feeder augments). */
    public NDArray inputs() {
        return inputs;
    }

    /** {@code [N]} int64 class ids. */
    public NDArray labels() {
        return labels;
    }

    /** Samples in the batch. */
    public int size() {
        return size;
    }

    /**
     * Host time the feeder spent waiting for the loader during the call that returned this batch
     * (with prefetching, for the batch it fetched ahead). Near 0 when the loader keeps up.
     */
    public long dataWaitNanos() {
        return dataWaitNanos;
    }

    /**
     * Host-to-device copy time of this batch: on CUDA the device time between events around the
     * copy (cudaEventElapsedTime); 0 on the CPU, where the host memory is the device memory.
     */
    public synchronized long copyNanos() {
        resolveTimers();
        return copyNanos;
    }

    /**
     * Time turning stored bytes into normalized float32: the kernel's device time on CUDA (events),
     * the CPU twin's host time on the CPU.
     */
    public synchronized long transformNanos() {
        resolveTimers();
        return transformNanos;
    }

    /** Sample id the augmentation of sample 0 drew from (then +1 per sample), or -1 if not from a feeder. */
    public long firstSampleId() {
        return firstSampleId;
    }

    /** Owner of the views and of whatever the training step attaches to them. */
    public NDManager manager() {
        return manager;
    }

    /** Frees the step's tensors and hands the buffers back to the feeder. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            resolveTimers();
        } finally {
            try {
                manager.close();
            } finally {
                Runnable r = onClose;
                onClose = null;
                r.run();
            }
        }
    }

    private void resolveTimers() {
        if (copyTimer != null) {
            LongSupplier c = copyTimer;
            LongSupplier t = transformTimer;
            copyTimer = null;
            transformTimer = null;
            copyNanos = c.getAsLong();
            transformNanos = t.getAsLong();
        }
    }
}
