package dev.sluice.engine.collective;

import dev.sluice.engine.collective.CollectiveException.Reason;
import dev.sluice.engine.device.CudaCallException;
import dev.sluice.engine.device.CudaProbe;
import dev.sluice.engine.device.DeviceUnavailableException;
import dev.sluice.nccl.Nccl;
import dev.sluice.nccl.NcclAvailability;
import dev.sluice.nccl.NcclCommunicator;
import dev.sluice.nccl.NcclDataType;
import dev.sluice.nccl.NcclException;
import dev.sluice.nccl.NcclLoadOptions;
import dev.sluice.nccl.NcclRedOp;
import dev.sluice.nccl.NcclRuntime;
import dev.sluice.nccl.NcclUnavailableException;
import dev.sluice.nccl.NcclUniqueId;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@link Collective} over NCCL for buffers in GPU memory: one instance per rank, each on one local
 * CUDA device. The {@link ByteBuffer}s passed in are views over device memory (e.g.
 * {@code PyTorchInternals.memory(cudaTensor)}); only their address and length are used, the memory is
 * never dereferenced in Java.
 *
 * <p><b>Asynchrony.</b> {@link #allReduce} and {@link #broadcast} enqueue the NCCL operation on a
 * stream this instance owns and return at once. Call {@link #synchronize()} before reading the
 * result on another stream or the host; it waits for the stream with the operation timeout, watching
 * NCCL's asynchronous error state. {@link #barrier()} waits by itself. The stream is a blocking
 * stream, so it is ordered with PyTorch's kernels on the legacy default stream in both directions
 * (a gradient all-reduce starts after the backward pass that wrote the gradients).
 *
 * <p><b>Creating.</b> {@link #local} makes one member per local device in one process
 * ({@code ncclCommInitAll}); hand member {@code i} to the thread of device {@code i}.
 * {@link #join} makes this process's member of a multi-process group: rank 0 creates the NCCL
 * unique id and broadcasts its 128 bytes over an already connected host collective (the
 * {@link TcpCollective} from the MASTER_ADDR/MASTER_PORT rendezvous), then every rank calls
 * {@code ncclCommInitRank}. Both throw {@link DeviceUnavailableException} (the reason from
 * {@link CudaProbe}) without a usable GPU, and {@link NcclUnavailableException}, with the bindings'
 * message saying what is missing, without libnccl.
 *
 * <p><b>Failures.</b> An operation that does not complete within the timeout fails with
 * {@link Reason#TIMEOUT}; NCCL's {@code ncclRemoteError} becomes {@link Reason#PEER_FAILED} (NCCL
 * does not say which peer, so {@link CollectiveException#peerRank()} is -1), {@code ncclSystemError}
 * {@link Reason#NETWORK}, {@code ncclInvalidUsage} {@link Reason#CALL_MISMATCH}. Local CUDA faults
 * and other NCCL errors propagate as {@link CudaCallException} / the bindings' {@link NcclException},
 * whose messages name the call, rank and device. After any failure the communicator is aborted and
 * every later call fails with {@link Reason#CLOSED}. Results are bit-identical on every rank (NCCL
 * computes each element once and copies it), so replicas stay equal.
 *
 * <p>A dead peer inside one node (NVLink, PCIe) is not reported by NCCL; the survivors' operations
 * then fail with {@link Reason#TIMEOUT} after the operation timeout. Across nodes the network
 * transport usually reports {@code ncclRemoteError} sooner.
 *
 * <p>Not thread-safe: one thread per rank. {@link #close()} may be called from another thread to
 * abort; it interrupts the owner thread if that one is waiting in {@link #synchronize()} (if the
 * wait ends at that moment, the interrupt stays pending on the owner thread, whose next call on
 * this collective fails with {@link Reason#CLOSED} anyway).
 */
public final class NcclCollective implements Collective {

    /** Default time an operation may take before the communicator is aborted. */
    public static final Duration DEFAULT_TIMEOUT = TcpOptions.DEFAULT_OPERATION_TIMEOUT;

    /** Bytes of the device scratch buffer used by {@link #barrier()}. */
    private static final int SCRATCH_BYTES = 256;

    private final NcclCommunicator comm;
    private final int rank;
    private final int worldSize;
    private final int device;
    private final Duration timeout;
    private final String how;
    private final CudaRuntime.Stream stream;
    private final long scratch;
    /** Held by the owner thread during every NCCL/CUDA call, and by close() while releasing. */
    private final ReentrantLock lock = new ReentrantLock();
    private volatile Thread waiter;
    private volatile boolean closed;
    private CollectiveException broken;
    private boolean pending;
    private boolean released;
    /** Base address of the last buffer that passed the device-memory check (buckets are reused). */
    private long checkedBase;

    private NcclCollective(NcclCommunicator comm, Duration timeout, String how) {
        this.comm = comm;
        this.rank = comm.rank();
        this.worldSize = comm.size();
        this.device = comm.device();
        this.timeout = timeout;
        this.how = how;
        CudaRuntime.Stream s = null;
        long b = 0;
        try {
            s = CudaRuntime.createStream(device);
            b = CudaRuntime.malloc(device, SCRATCH_BYTES);
            CudaRuntime.memset(device, b, 0, SCRATCH_BYTES);
        } catch (RuntimeException e) {
            RuntimeException cleanup = release(comm, device, s, b);
            if (cleanup != null) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        this.stream = s;
        this.scratch = b;
    }

    /** Whether NCCL can be used with these options; the message says what is missing if not. */
    public static NcclAvailability availability(NcclLoadOptions options) {
        return Nccl.availability(options);
    }

    /**
     * One member per local device, in one process ({@code ncclCommInitAll}): element {@code i} is
     * rank {@code i} on {@code devices[i]}. Use each member from its own thread.
     *
     * @param options where libnccl.so.2 comes from (e.g. {@code --nccl-lib})
     * @param timeout how long one operation may take before it fails and the communicator is aborted
     * @param devices distinct local CUDA device ordinals
     * @throws DeviceUnavailableException if a device is not a usable GPU of this host
     * @throws NcclUnavailableException if NCCL cannot be used (the message says what is missing)
     * @throws NcclException if NCCL fails to create the communicators
     */
    public static List<NcclCollective> local(NcclLoadOptions options, Duration timeout, int... devices) {
        return local(Nccl.load(options), timeout, devices);
    }

    /** As {@link #local(NcclLoadOptions, Duration, int...)} with an already loaded runtime. */
    public static List<NcclCollective> local(NcclRuntime nccl, Duration timeout, int... devices) {
        checkTimeout(timeout);
        CudaProbe.requireGpus("NCCL", devices);
        List<NcclCommunicator> comms = nccl.initAll(devices);
        List<NcclCollective> out = new ArrayList<>(comms.size());
        try {
            for (NcclCommunicator c : comms) {
                out.add(new NcclCollective(c, timeout, "ncclCommInitAll"));
            }
        } catch (RuntimeException e) {
            for (NcclCollective c : out) {
                c.close();
            }
            for (int i = out.size() + 1; i < comms.size(); i++) {
                comms.get(i).abort(); // the failed one was aborted by the constructor
            }
            throw e;
        }
        return List.copyOf(out);
    }

    /**
     * This process's member of a multi-process group. Rank 0 creates the NCCL unique id and
     * broadcasts it over {@code bootstrap}; every rank then joins with {@code ncclCommInitRank} on
     * {@code device}. The rank and world size are {@code bootstrap}'s. The bootstrap collective stays
     * the caller's (this does not close it); its successful broadcast also shows that every rank is
     * alive before {@code ncclCommInitRank}, which has no timeout of its own.
     *
     * @param options where libnccl.so.2 comes from (e.g. {@code --nccl-lib})
     * @param bootstrap a connected host collective over all ranks, e.g. a {@link TcpCollective}
     * @param device the local CUDA device of this rank (LOCAL_RANK in a one-process-per-GPU launch)
     * @param timeout how long one operation may take before it fails and the communicator is aborted
     * @throws DeviceUnavailableException if {@code device} is not a usable GPU of this host
     * @throws NcclUnavailableException if NCCL cannot be used; load NCCL on every rank before
     *     any rank could fail, or the others wait in the id broadcast until the bootstrap times out
     * @throws CollectiveException if the id cannot be exchanged
     */
    public static NcclCollective join(NcclLoadOptions options, Collective bootstrap, int device, Duration timeout)
            throws CollectiveException {
        return join(Nccl.load(options), bootstrap, device, timeout);
    }

    /** As {@link #join(NcclLoadOptions, Collective, int, Duration)} with an already loaded runtime. */
    public static NcclCollective join(NcclRuntime nccl, Collective bootstrap, int device, Duration timeout)
            throws CollectiveException {
        Objects.requireNonNull(bootstrap, "bootstrap");
        checkTimeout(timeout);
        CudaProbe.requireGpus("NCCL rank " + bootstrap.rank(), device);
        ByteBuffer idBytes = ByteBuffer.allocateDirect(NcclUniqueId.BYTES).order(ByteOrder.nativeOrder());
        if (bootstrap.rank() == 0) {
            nccl.newUniqueId().writeTo(idBytes);
            idBytes.clear();
        }
        bootstrap.broadcast(idBytes, 0);
        NcclUniqueId id = NcclUniqueId.readFrom(idBytes.duplicate().clear());
        CudaRuntime.setDevice(device); // NCCL joins on the calling thread's current device
        NcclCommunicator comm = nccl.initRank(bootstrap.worldSize(), id, bootstrap.rank(), device);
        return new NcclCollective(comm, timeout, "ncclCommInitRank via " + bootstrap.describe());
    }

    /** NCCL's element type for a collective element type (same bytes, native order). */
    static NcclDataType dataType(ElementType type) {
        return switch (type) {
            case FLOAT32 -> NcclDataType.FLOAT32;
            case FLOAT64 -> NcclDataType.FLOAT64;
            case INT32 -> NcclDataType.INT32;
            case INT64 -> NcclDataType.INT64;
            case UINT8 -> NcclDataType.UINT8;
        };
    }

    /** NCCL's reduction for a collective operation; AVG is {@code ncclAvg} (NCCL 2.10 and newer). */
    static NcclRedOp redOp(ReduceOp op) {
        return switch (op) {
            case SUM -> NcclRedOp.SUM;
            case AVG -> NcclRedOp.AVG;
            case MAX -> NcclRedOp.MAX;
            case MIN -> NcclRedOp.MIN;
        };
    }

    private static void checkTimeout(Duration timeout) {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("NCCL operation timeout must be positive, got " + timeout);
        }
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int worldSize() {
        return worldSize;
    }

    /** The CUDA device of this rank. */
    public int device() {
        return device;
    }

    /** The {@code cudaStream_t} handle operations are enqueued on. */
    public long stream() {
        return stream.handle();
    }

    /**
     * Enqueues an in-place all-reduce of the region on this rank's stream; see
     * {@link #synchronize()}. {@link ReduceOp#AVG} is NCCL's {@code ncclAvg}.
     *
     * @throws IllegalArgumentException if the buffer is not direct, not a whole number of elements,
     *     or not device memory of this rank's device
     */
    @Override
    public void allReduce(ByteBuffer data, ElementType type, ReduceOp op) throws CollectiveException {
        int bytes = Checks.region("allReduce", data, type, true);
        if (op == null) {
            throw new IllegalArgumentException("allReduce: op is null");
        }
        enqueue("allReduce", bytes, () -> {
            long address = regionAddress("allReduce", data);
            comm.allReduce(address, address, bytes / type.bytes(), dataType(type), redOp(op), stream.handle());
        });
    }

    /** Enqueues an in-place broadcast of rank {@code root}'s region on this rank's stream; see {@link #synchronize()}. */
    @Override
    public void broadcast(ByteBuffer data, int root) throws CollectiveException {
        int bytes = Checks.region("broadcast", data, null, false);
        Checks.root("broadcast", root, worldSize);
        if (rank != root && data.isReadOnly()) {
            throw new IllegalArgumentException("broadcast writes the result into the buffer, but it is read-only");
        }
        enqueue("broadcast", bytes, () -> {
            long address = regionAddress("broadcast", data);
            comm.broadcast(address, address, bytes, NcclDataType.UINT8, root, stream.handle());
        });
    }

    /** All-reduces one integer in device memory and waits for it: returns once every rank entered. */
    @Override
    public void barrier() throws CollectiveException {
        enqueue("barrier", 4, () -> comm.allReduce(scratch, scratch, 1, NcclDataType.INT32, NcclRedOp.SUM,
                stream.handle()));
        synchronize();
    }

    /**
     * Waits until every operation enqueued so far has completed on the stream, or the timeout
     * passes (then the communicator is aborted and this fails with {@link Reason#TIMEOUT}).
     */
    @Override
    public void synchronize() throws CollectiveException {
        lock.lock();
        try {
            ensureUsable("synchronize");
            if (!pending) {
                return;
            }
            waiter = Thread.currentThread();
            try {
                comm.awaitStream(stream.handle(), timeout, handle -> CudaRuntime.isDone(stream));
                pending = false;
            } catch (InterruptedException e) {
                if (closed) {
                    CollectiveException ce = new CollectiveException(Reason.CLOSED, rank, -1,
                            "closed by another thread while waiting for NCCL on device " + device, e);
                    throw abort(ce, ce);
                }
                Thread.currentThread().interrupt();
                CollectiveException ce = new CollectiveException(Reason.INTERRUPTED, rank, -1,
                        "interrupted while waiting for NCCL on device " + device + "; communicator aborted", e);
                throw abort(ce, ce);
            } catch (NcclException | CudaCallException e) {
                throw failure("synchronize", e);
            } finally {
                waiter = null;
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String describe() {
        return "nccl, rank " + rank + " of " + worldSize + ", device " + device + " (" + how + ")";
    }

    /**
     * Releases the communicator, the stream and the scratch buffer. The communicator is always
     * aborted ({@code ncclCommAbort}) rather than destroyed: abort never waits for peers, which may
     * be gone when a job is torn down after a failure, and with nothing in flight it frees the same
     * resources. Operations still enqueued are abandoned. Idempotent.
     */
    @Override
    public void close() {
        closed = true;
        if (!lock.tryLock()) {
            Thread w = waiter;
            if (w != null) {
                w.interrupt(); // awaitStream checks for interrupts at least every millisecond
            }
            lock.lock();
        }
        try {
            if (released) {
                return;
            }
            released = true;
            RuntimeException failure = release(comm, device, stream, scratch);
            if (broken == null) {
                broken = new CollectiveException(Reason.CLOSED, rank, -1, "this NCCL collective was closed");
            }
            pending = false;
            if (failure != null) {
                throw failure;
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Aborts the communicator (a no-op after an earlier abort), then frees the stream and the
     * scratch buffer; returns the first failure with the others suppressed, or null.
     */
    private static RuntimeException release(NcclCommunicator comm, int device, CudaRuntime.Stream stream,
            long scratch) {
        RuntimeException first = null;
        try {
            comm.abort();
        } catch (RuntimeException e) {
            first = e;
        }
        if (stream != null) {
            try {
                CudaRuntime.destroyStream(stream);
            } catch (RuntimeException e) {
                first = addTo(first, e);
            }
        }
        if (scratch != 0) {
            try {
                CudaRuntime.free(device, scratch);
            } catch (RuntimeException e) {
                first = addTo(first, e);
            }
        }
        return first;
    }

    private static RuntimeException addTo(RuntimeException first, RuntimeException next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }

    private interface Call {
        void run();
    }

    private void enqueue(String what, int bytes, Call call) throws CollectiveException {
        lock.lock();
        try {
            ensureUsable(what);
            if (bytes == 0) {
                return;
            }
            try {
                CudaRuntime.setDevice(device);
                call.run();
                pending = true;
            } catch (IllegalArgumentException e) {
                throw e; // a wrong buffer is the caller's mistake; nothing was enqueued
            } catch (NcclException | CudaCallException e) {
                throw failure(what, e);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Device address of the region, checking once per allocation that it is memory of this device. */
    private long regionAddress(String what, ByteBuffer data) {
        long base = CudaRuntime.baseAddress(data);
        if (base != checkedBase) {
            CudaRuntime.requireDeviceMemory(base, device, what + " on rank " + rank);
            checkedBase = base;
        }
        return base + data.position();
    }

    private void ensureUsable(String what) throws CollectiveException {
        if (broken != null) {
            throw new CollectiveException(Reason.CLOSED, rank, broken.peerRank(), what + ": this NCCL collective "
                    + (broken.reason() == Reason.CLOSED ? "was closed" : "failed earlier and is unusable ("
                    + broken.detail() + ")"), broken);
        }
        if (closed) {
            throw new CollectiveException(Reason.CLOSED, rank, -1, what + ": this NCCL collective was closed");
        }
    }

    /**
     * Records the failure, aborts the communicator, and returns the exception to throw: NCCL
     * failures that concern the group as {@link CollectiveException}; local CUDA faults and other
     * NCCL errors are rethrown as the bindings' exceptions. The collective is unusable either way.
     */
    private CollectiveException failure(String what, RuntimeException e) {
        CollectiveException group = null;
        if (e instanceof NcclException ne && ne.result().isPresent()) {
            Reason reason = switch (ne.result().get()) {
                case TIMEOUT -> Reason.TIMEOUT;
                case REMOTE_ERROR -> Reason.PEER_FAILED;
                case SYSTEM_ERROR -> Reason.NETWORK;
                case INVALID_USAGE -> Reason.CALL_MISMATCH;
                default -> null;
            };
            if (reason == Reason.TIMEOUT) {
                group = new CollectiveException(reason, rank, -1, what + " on device " + device
                        + " did not complete within " + timeout + " (a peer may have died, or the ranks made"
                        + " different calls); communicator aborted: " + ne.getMessage(), ne);
            } else if (reason != null) {
                group = new CollectiveException(reason, rank, -1, what + " on device " + device + ": "
                        + ne.getMessage(), ne);
            }
        }
        abort(group != null ? group : new CollectiveException(Reason.CLOSED, rank, -1,
                what + " on device " + device + " failed: " + e.getMessage(), e), e);
        if (group == null) {
            throw e;
        }
        return group;
    }

    /** Remembers the first failure (later calls fail with CLOSED naming it) and aborts the communicator. */
    private CollectiveException abort(CollectiveException cause, Throwable thrown) {
        if (broken == null) {
            broken = cause;
        }
        pending = false;
        try {
            comm.abort();
        } catch (RuntimeException suppressed) {
            thrown.addSuppressed(suppressed);
        }
        return cause;
    }
}
