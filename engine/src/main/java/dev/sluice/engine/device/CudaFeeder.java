package dev.sluice.engine.device;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.sluice.data.loader.EpochStream;
import dev.sluice.data.loader.HostBatch;
import dev.sluice.data.transform.TransformSpec;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The CUDA feeder: the DJL binding of a {@link DeviceStager}. Its ring targets are float32 NCHW and
 * int64 tensors that DJL allocated on the GPU; the stager copies each pooled (pinned) host batch as
 * stored onto the GPU's copy stream and transforms it there, straight into a ring tensor's
 * {@code data_ptr}.
 *
 * <p>{@link #next()} returns batch N after queueing the copy of batch N+1, so the copy engine moves
 * N+1 while the model computes N. Compute (PyTorch on the legacy default stream) waits for batch N
 * on the device through an event; the host never synchronizes the device. A host batch goes back to
 * the loader's pool once its copy has finished (checked on the following call, when it long has).
 * Closing a {@link DeviceBatch} records an event after the compute that read it, and the ring slot
 * is refilled only after that event.
 *
 * <p>Timing: {@link DeviceBatch#copyNanos()} and {@link DeviceBatch#transformNanos()} come from CUDA
 * events around the copy and the kernel; {@link DeviceBatch#dataWaitNanos()} is the host time spent
 * waiting on the loader during the call.
 */
public final class CudaFeeder implements Feeder {

    /** Slots by default: one computing, one prefetched, one the trainer may still hold. */
    public static final int DEFAULT_RING = 3;

    private record Pending(DeviceStager.Slot slot, HostBatch host, long firstSampleId) {}

    private final EpochStream stream;
    private final NDManager parent;
    private final FeedSpec input;
    private final TransformSpec transform;
    private final LabelConverter labels;
    private final int imageIndex;
    private final int labelIndex;
    private final CudaGpu gpu;
    private final int ring;
    private NDManager ringManager;
    private NDArray[] images;
    private NDArray[] labelTensors;
    private DeviceStager stager;
    private Pending pending;
    private boolean ended;
    private long delivered;
    private long staged;
    private boolean closed;

    /**
     * @param stream the epoch's host batches, in pinned memory for asynchronous copies (closed with the feeder)
     * @param parent manager on {@code gpu}'s DJL device
     * @param input which fields (found by name among the stream's fields) and the class count
     * @param transform {@code input.transform()} or {@code input.augmented(...)}
     * @param gpu the GPU: its copy stream and kernels
     * @param ring slots, at least 2
     */
    public CudaFeeder(EpochStream stream, NDManager parent, FeedSpec input, TransformSpec transform, CudaGpu gpu,
                      int ring) {
        this.stream = Objects.requireNonNull(stream, "stream");
        this.parent = Objects.requireNonNull(parent, "parent");
        this.input = input;
        this.transform = transform;
        this.gpu = gpu;
        Device d = parent.getDevice();
        if (!d.isGpu() || d.getDeviceId() != gpu.ordinal()) {
            throw new IllegalArgumentException("the manager is on " + d + " but this feeder feeds " + gpu.name()
                    + "; pass the replica's manager for " + Device.gpu(gpu.ordinal()));
        }
        if (ring < 2) {
            throw new IllegalArgumentException("the CUDA feeder needs at least 2 slots (double buffering), got " + ring);
        }
        input.checkTransform(transform);
        this.imageIndex = input.imageIndex(stream.fields());
        this.labelIndex = input.labelIndex(stream.fields());
        long stored = stream.fields().get(imageIndex).sampleBytes();
        if (stored != transform.inputBytesPerSample()) {
            throw new IllegalArgumentException("field '" + input.imageField() + "' stores " + stored
                    + " bytes per sample but the transform expects " + transform.inputBytesPerSample());
        }
        this.labels = new LabelConverter(stream.fields().get(labelIndex), input.numClasses());
        this.ring = ring;
    }

    @Override
    public DeviceBatch next() throws IOException {
        if (closed) {
            throw new IllegalStateException("the feeder is closed");
        }
        gpu.makeCurrent();
        long[] wait = {0};
        if (pending == null && !ended) {
            pending = fetchAndStage(wait);
        }
        if (pending == null) {
            if (ended) {
                return null;
            }
            throw new IllegalStateException("all " + ring + " feeder slots of " + gpu.name() + " are held by open"
                    + " DeviceBatches; close each batch before asking for more than " + (ring - 1) + " at once");
        }
        Pending current = pending;
        pending = null;
        // the copy was queued on the previous call: done by now, and the loader gets its buffer back
        stager.awaitCopied(current.slot());
        current.host().close();
        if (!ended) {
            try {
                pending = fetchAndStage(wait);
            } catch (IOException | RuntimeException e) {
                stager.release(current.slot());
                throw e;
            }
        }
        DeviceStager.Slot slot = current.slot();
        stager.consume(slot);
        int n = slot.size();
        NDManager m = parent.newSubManager();
        try {
            NDIndex rows = new NDIndex().addSliceDim(0, n);
            NDArray x = images[slot.index()].get(m, rows);
            NDArray y = labelTensors[slot.index()].get(m, rows);
            delivered += n;
            DeviceStager st = stager;
            return new DeviceBatch(x, y, n, wait[0], () -> st.copyNanos(slot), () -> st.transformNanos(slot), m,
                    () -> st.release(slot), current.firstSampleId());
        } catch (RuntimeException e) {
            m.close();
            stager.release(slot);
            throw e;
        }
    }

    /** Takes the next host batch and queues its copy; null at the end or when no slot is free. */
    private Pending fetchAndStage(long[] wait) throws IOException {
        DeviceStager.Slot slot = stager == null ? null : stager.tryAcquire();
        if (stager != null && slot == null) {
            return null; // every slot held: stage on a later call
        }
        long t0 = System.nanoTime();
        HostBatch hb = stream.next();
        wait[0] += System.nanoTime() - t0;
        if (hb == null) {
            ended = true;
            if (slot != null) {
                stager.release(slot);
            }
            return null;
        }
        try {
            if (stager == null) {
                open(hb.capacity());
                slot = stager.acquire();
            }
            long first = stream.skippedSamples() + staged;
            labels.convert(hb, labelIndex, hb.size(), slot.hostLabels());
            stager.stage(slot, hb.buffer(imageIndex), hb.size(), first, true);
            staged += hb.size();
            return new Pending(slot, hb, first);
        } catch (RuntimeException e) {
            hb.close();
            if (slot != null) {
                stager.release(slot);
            }
            throw e;
        }
    }

    private void open(int capacity) {
        ringManager = parent.newSubManager();
        images = new NDArray[ring];
        labelTensors = new NDArray[ring];
        List<DeviceStager.Target> targets = new ArrayList<>();
        for (int i = 0; i < ring; i++) {
            images[i] = ringManager.create(new Shape(capacity, input.channels(), input.height(), input.width()),
                    DataType.FLOAT32);
            labelTensors[i] = ringManager.create(new Shape(capacity), DataType.INT64);
            targets.add(new DeviceStager.Target(NativeAddress.of(PyTorchInternals.memory(images[i])),
                    NativeAddress.of(PyTorchInternals.memory(labelTensors[i]))));
        }
        stager = new DeviceStager(gpu, transform, capacity, targets);
    }

    /** Samples delivered so far in this stream. */
    public long delivered() {
        return delivered;
    }

    /**
     * Drops the prefetched batch, waits for queued copies into the ring, frees the ring and closes
     * the stream. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (pending != null) {
                stager.awaitCopied(pending.slot());
                pending.host().close();
                stager.release(pending.slot());
                pending = null;
            }
            if (stager != null) {
                stager.close();
            }
        } finally {
            try {
                if (ringManager != null) {
                    ringManager.close();
                }
            } finally {
                stream.close();
            }
        }
    }
}
