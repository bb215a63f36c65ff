package dev.sluice.engine.device;

import dev.sluice.data.transform.TransformSpec;
import dev.sluice.engine.transform.TransformKernels;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import jcuda.driver.CUstream;
import jcuda.runtime.JCuda;
import jcuda.runtime.cudaMemcpyKind;
import jcuda.runtime.cudaStream_t;

/**
 * The GPU half of the CUDA feeder, on raw device memory and without DJL: a ring of slots, each
 * with a uint8 staging buffer in device memory, a pinned int64 label staging buffer, and events.
 * Staging a batch copies its stored bytes (uint8, 4x less traffic than float32) host-to-device on
 * the GPU's non-blocking copy stream, launches the transform kernel on that stream into the slot's
 * {@link Target} (float32 NCHW, int64 labels), and records an event; compute then waits on that
 * event on its own stream, never with a device-wide synchronize.
 *
 * <p>A slot goes FREE -> ACQUIRED ({@link #acquire}) -> STAGED ({@link #stage}) -> CONSUMED
 * ({@link #consume}) -> FREE ({@link #release}). Release records an event on the compute stream
 * after the work that reads the slot's target; the next staging into that slot makes the copy
 * stream wait for it, so a target is never overwritten while compute still reads it. The host
 * images handed to {@link #stage} are read by DMA until {@link #awaitCopied} returns; only then
 * may their memory be reused.
 *
 * <p>Thread-safe; every call makes the GPU current on the calling thread.
 */
public final class DeviceStager implements AutoCloseable {

    /**
     * Device memory a slot writes a batch to.
     *
     * @param imageAddress float32 {@code [capacity, C, H, W]}, 4-byte aligned
     * @param labelAddress int64 {@code [capacity]}, or 0 when labels are not staged
     */
    public record Target(long imageAddress, long labelAddress) {
        public Target {
            if (imageAddress == 0) {
                throw new IllegalArgumentException("image target address is null");
            }
        }
    }

    private enum State { FREE, ACQUIRED, STAGED, CONSUMED }

    /** One buffer set of the ring. Read its accessors only between acquire and release. */
    public final class Slot {
        private final int index;
        private final Target target;
        private final DeviceBuffer raw;
        private final ByteBuffer hostLabels;
        private final CudaEvent start;
        private final CudaEvent copied;
        private final CudaEvent ready;
        private final CudaEvent released;
        private State state = State.FREE;
        private boolean staged;
        private int size;
        private long firstSampleId;

        private Slot(int index, Target target, DeviceBuffer raw, ByteBuffer hostLabels) {
            this.index = index;
            this.target = target;
            this.raw = raw;
            this.hostLabels = hostLabels;
            this.start = CudaEvent.create(true, gpu.name() + " slot " + index + " copy start");
            this.copied = CudaEvent.create(true, gpu.name() + " slot " + index + " copied");
            this.ready = CudaEvent.create(true, gpu.name() + " slot " + index + " ready");
            this.released = CudaEvent.create(false, gpu.name() + " slot " + index + " released");
        }

        /** Position in the ring, from 0. */
        public int index() {
            return index;
        }

        /** Where this slot's batches land. */
        public Target target() {
            return target;
        }

        /** Samples of the batch last staged here. */
        public int size() {
            return size;
        }

        /** Sample id of the batch's first sample (augmentation draws from it). */
        public long firstSampleId() {
            return firstSampleId;
        }

        /**
         * Pinned host memory for {@code capacity} int64 labels (native order): fill it between
         * {@link #acquire} and {@link #stage}.
         */
        public ByteBuffer hostLabels() {
            return hostLabels;
        }

        /** Device address of the staged uint8 copy of the images (for checks and tests). */
        public long deviceInput() {
            return raw.address();
        }
    }

    private final CudaGpu gpu;
    private final TransformSpec spec;
    private final TransformKernels kernels;
    private final CUstream copyStream;
    private final int capacity;
    private final List<Slot> slots = new ArrayList<>();
    private int next;
    private boolean closed;

    /**
     * Allocates one staging buffer set per target and orders every target after the work already
     * queued on the compute stream (e.g. the allocation that produced it).
     *
     * @param gpu the device; its copy stream and kernels are used
     * @param spec the transform every batch gets
     * @param capacity samples per batch at most
     * @param targets one per slot (at least 2: double buffering)
     */
    public DeviceStager(CudaGpu gpu, TransformSpec spec, int capacity, List<Target> targets) {
        this.gpu = Objects.requireNonNull(gpu, "gpu");
        this.spec = Objects.requireNonNull(spec, "spec");
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive, got " + capacity);
        }
        if (targets.size() < 2) {
            throw new IllegalArgumentException("the stager needs at least 2 slots to overlap copies with compute, got "
                    + targets.size());
        }
        this.capacity = capacity;
        gpu.makeCurrent();
        this.kernels = gpu.kernels();
        this.copyStream = new CUstream(gpu.copyStream());
        try {
            for (int i = 0; i < targets.size(); i++) {
                Target t = targets.get(i);
                if ((t.imageAddress() & 3) != 0 || (t.labelAddress() & 7) != 0) {
                    throw new IllegalArgumentException("target " + i + " is misaligned: " + t);
                }
                DeviceBuffer raw = DeviceBuffer.allocate(gpu, (long) capacity * spec.inputBytesPerSample());
                ByteBuffer labels = null;
                Slot s;
                try {
                    labels = gpu.pinnedAllocator().allocate(Math.multiplyExact(capacity, 8));
                    s = new Slot(i, t, raw, labels);
                } catch (RuntimeException e) {
                    raw.close();
                    if (labels != null) {
                        gpu.pinnedAllocator().free(labels);
                    }
                    throw e;
                }
                slots.add(s);
                s.released.record(gpu.computeStream());
            }
        } catch (RuntimeException e) {
            freeAll();
            throw e;
        }
    }

    /** Slots in the ring. */
    public int slots() {
        return slots.size();
    }

    /** Samples per batch at most. */
    public int capacity() {
        return capacity;
    }

    /** The transform applied to every batch. */
    public TransformSpec spec() {
        return spec;
    }

    /** Slots neither staged nor held by a consumer. */
    public synchronized int freeSlots() {
        int n = 0;
        for (Slot s : slots) {
            n += s.state == State.FREE ? 1 : 0;
        }
        return n;
    }

    /**
     * The next free slot in ring order, or null when every slot is staged or held. Blocks the host
     * only until the slot's previous label copy has finished (long done in a running pipeline), so
     * its pinned label buffer can be rewritten.
     */
    public synchronized Slot tryAcquire() {
        ensureOpen();
        for (int k = 0; k < slots.size(); k++) {
            Slot s = slots.get((next + k) % slots.size());
            if (s.state == State.FREE) {
                next = (s.index + 1) % slots.size();
                if (s.staged) {
                    gpu.makeCurrent();
                    s.copied.await();
                }
                s.state = State.ACQUIRED;
                return s;
            }
        }
        return null;
    }

    /**
     * {@link #tryAcquire()}, failing when all slots are taken.
     *
     * @throws IllegalStateException if every slot is staged or held: the consumer holds too many batches
     */
    public Slot acquire() {
        Slot s = tryAcquire();
        if (s == null) {
            throw new IllegalStateException("all " + slots.size() + " stager slots on " + gpu.name()
                    + " are staged or held: release (close) consumed batches before staging more");
        }
        return s;
    }

    /**
     * Queues the copy and transform of {@code n} samples into slot {@code s}: waits (on the copy
     * stream) for the slot's last release, copies {@code n * inputBytesPerSample} bytes from
     * {@code images}' position, and the labels from {@link Slot#hostLabels()} when
     * {@code withLabels}, then launches the kernel. Returns at once.
     *
     * @param images stored uint8 samples in host memory, pinned for the copy to be asynchronous
     * @param firstSampleId sample id of the first sample, for the augmentation draws
     */
    public synchronized void stage(Slot s, ByteBuffer images, int n, long firstSampleId, boolean withLabels) {
        ensureOpen();
        expect(s, State.ACQUIRED, "stage");
        if (n <= 0 || n > capacity) {
            throw new IllegalArgumentException("batch of " + n + " samples does not fit the stager's capacity "
                    + capacity);
        }
        long bytes = (long) n * spec.inputBytesPerSample();
        if (!images.isDirect() || images.remaining() < bytes) {
            throw new IllegalArgumentException("images must be a direct buffer with " + bytes + " bytes remaining for "
                    + n + " samples, got " + images);
        }
        if (withLabels && s.target.labelAddress() == 0) {
            throw new IllegalArgumentException("slot " + s.index + " has no label target");
        }
        gpu.makeCurrent();
        cudaStream_t copy = gpu.copyStream();
        s.released.block(copy);
        s.start.record(copy);
        CudaCallException.check(JCuda.cudaMemcpyAsync(s.raw.pointer(),
                new DevicePointer(NativeAddress.of(images) + images.position()), bytes,
                cudaMemcpyKind.cudaMemcpyHostToDevice, copy), "cudaMemcpyAsync(" + bytes + " image bytes) to " + gpu.name());
        if (withLabels) {
            CudaCallException.check(JCuda.cudaMemcpyAsync(new DevicePointer(s.target.labelAddress()),
                    new DevicePointer(NativeAddress.of(s.hostLabels)), 8L * n,
                    cudaMemcpyKind.cudaMemcpyHostToDevice, copy), "cudaMemcpyAsync(" + n + " labels) to " + gpu.name());
        }
        s.copied.record(copy);
        kernels.launch(spec, copyStream, s.raw.address(), s.target.imageAddress(), n, firstSampleId);
        s.ready.record(copy);
        s.size = n;
        s.firstSampleId = firstSampleId;
        s.staged = true;
        s.state = State.STAGED;
    }

    /** Makes the compute stream wait (on the device, not the host) until slot {@code s} is ready. */
    public synchronized void consume(Slot s) {
        ensureOpen();
        expect(s, State.STAGED, "consume");
        gpu.makeCurrent();
        s.ready.block(gpu.computeStream());
        s.state = State.CONSUMED;
    }

    /**
     * Hands slot {@code s} back: records, on the compute stream, that everything queued so far that
     * reads its target is done before the slot is staged again. Also takes back a slot acquired or
     * staged but never consumed. Idempotent for a free slot.
     */
    public synchronized void release(Slot s) {
        if (closed || s.state == State.FREE) {
            s.state = State.FREE;
            return;
        }
        if (s.state != State.ACQUIRED) {
            gpu.makeCurrent();
            s.released.record(gpu.computeStream());
        }
        s.state = State.FREE;
    }

    /** Blocks the host until the slot's host-to-device copies are done: its host images may be reused. */
    public void awaitCopied(Slot s) {
        gpu.makeCurrent();
        s.copied.await();
    }

    /** Blocks the host until the slot's batch is transformed into its target. */
    public void awaitReady(Slot s) {
        gpu.makeCurrent();
        s.ready.await();
    }

    /** Device time of the last host-to-device copy into slot {@code s} (images and labels), from events. */
    public long copyNanos(Slot s) {
        gpu.makeCurrent();
        return s.copied.nanosSince(s.start);
    }

    /** Device time of the last transform kernel of slot {@code s}, from events. */
    public long transformNanos(Slot s) {
        gpu.makeCurrent();
        return s.ready.nanosSince(s.copied);
    }

    /** Event recorded when slot {@code s}'s last copy began (for overlap measurements). */
    public CudaEvent copyStartEvent(Slot s) {
        return s.start;
    }

    /** Event recorded when slot {@code s}'s last copy finished. */
    public CudaEvent copiedEvent(Slot s) {
        return s.copied;
    }

    /** Event recorded when slot {@code s}'s last batch was transformed. */
    public CudaEvent readyEvent(Slot s) {
        return s.ready;
    }

    /**
     * Waits until no queued copy or kernel writes any slot, then frees the staging memory and
     * events. Targets belong to the caller and stay valid. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        gpu.makeCurrent();
        freeAll();
    }

    private void freeAll() {
        RuntimeException first = null;
        for (Slot s : slots) {
            try {
                if (s.staged) {
                    s.ready.await();
                }
                s.start.close();
                s.copied.close();
                s.ready.close();
                s.released.close();
                s.raw.close();
                gpu.pinnedAllocator().free(s.hostLabels);
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        slots.clear();
        if (first != null) {
            throw first;
        }
    }

    private void expect(Slot s, State state, String what) {
        if (s.state != state) {
            throw new IllegalStateException("cannot " + what + " slot " + s.index + " of " + gpu.name() + ": it is "
                    + s.state + ", expected " + state);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the stager of " + gpu.name() + " is closed");
        }
    }
}
