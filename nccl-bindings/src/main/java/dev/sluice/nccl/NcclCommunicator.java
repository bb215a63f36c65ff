package dev.sluice.nccl;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * One rank's member of an NCCL communicator ({@code ncclComm_t}). Collectives take raw device
 * addresses and raw {@code cudaStream_t} handles as {@code long} values (e.g. from JCuda or from a
 * DJL tensor's data pointer), are enqueued on the stream and return immediately; completion is observed on the stream,
 * e.g. with {@link #awaitStream}.
 *
 * <p>Not thread-safe: drive a communicator from one thread (NCCL forbids concurrent calls on one
 * communicator). {@link #abort()} and {@link #close()} may be called from another thread once no
 * call on this communicator is in progress; both are idempotent and never double-free.
 */
public final class NcclCommunicator implements AutoCloseable {
    private static final int OPEN = 0;
    private static final int ABORTED = 1;
    private static final int DESTROYED = 2;

    /** First pause between stream polls in {@link #awaitStream}; short collectives finish within a few. */
    private static final long MIN_POLL_PAUSE_NANOS = TimeUnit.MICROSECONDS.toNanos(10);
    /** Longest pause between polls: bounds the added latency for long collectives. */
    private static final long MAX_POLL_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final Pointer comm;
    private final int rank;
    private final int size;
    private final int device;
    private final AtomicInteger state = new AtomicInteger(OPEN);

    private NcclCommunicator(Pointer comm, int rank, int size, int device) {
        this.comm = comm;
        this.rank = rank;
        this.size = size;
        this.device = device;
    }

    /** Wraps a freshly initialized handle, reading its rank, size and device; aborts it if that fails. */
    static NcclCommunicator wrap(Pointer comm, String createdBy) {
        try {
            NcclLibrary l = Natives.nccl();
            IntByReference value = new IntByReference();
            Natives.checkNccl(l.ncclCommUserRank(comm, value), "ncclCommUserRank", comm, -1, -1,
                    "after " + createdBy);
            int r = value.getValue();
            Natives.checkNccl(l.ncclCommCount(comm, value), "ncclCommCount", comm, r, -1, "after " + createdBy);
            int n = value.getValue();
            Natives.checkNccl(l.ncclCommCuDevice(comm, value), "ncclCommCuDevice", comm, r, -1,
                    "after " + createdBy);
            return new NcclCommunicator(comm, r, n, value.getValue());
        } catch (RuntimeException e) {
            int abort = Natives.nccl().ncclCommAbort(comm);
            if (abort != NcclResult.SUCCESS.code()) {
                e.addSuppressed(Natives.ncclException(abort, "ncclCommAbort", null, -1, -1,
                        "cleaning up after a failed " + createdBy));
            }
            throw e;
        }
    }

    /** This member's rank, {@code 0 <= rank() < size()}. */
    public int rank() {
        return rank;
    }

    /** Number of ranks in the communicator. */
    public int size() {
        return size;
    }

    /** The CUDA device this member runs on. */
    public int device() {
        return device;
    }

    /** Whether neither {@link #abort()} nor {@link #close()} has been called. */
    public boolean isOpen() {
        return state.get() == OPEN;
    }

    /**
     * All-reduce ({@code ncclAllReduce}): every rank's {@code recvBuffer} receives the element-wise
     * reduction of all ranks' {@code sendBuffer}. In place when both addresses are equal.
     *
     * @param sendBuffer device address of {@code count} elements on {@link #device()}
     * @param recvBuffer device address of {@code count} elements on {@link #device()}
     * @param count number of elements (not bytes)
     * @param type element type
     * @param op reduction
     * @param stream {@code cudaStream_t} handle on {@link #device()} (0 = the legacy default stream)
     * @throws NcclException if NCCL rejects the call
     */
    public void allReduce(long sendBuffer, long recvBuffer, long count, NcclDataType type, NcclRedOp op,
            long stream) {
        requireOpen("ncclAllReduce");
        checkBuffers("ncclAllReduce", sendBuffer, recvBuffer, count);
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(op, "op");
        int result = Natives.nccl().ncclAllReduce(Natives.pointer(sendBuffer), Natives.pointer(recvBuffer), count, type.code(),
                op.code(), comm, Natives.pointer(stream));
        Natives.checkNccl(result, "ncclAllReduce", comm, rank, device, null);
    }

    /**
     * Broadcast ({@code ncclBroadcast}): {@code count} elements of the root's {@code sendBuffer} are
     * copied into every rank's {@code recvBuffer}. {@code sendBuffer} is only read on the root; in
     * place when both addresses are equal.
     *
     * @param sendBuffer device address of {@code count} elements (only read on the root; may be 0 elsewhere)
     * @param recvBuffer device address of {@code count} elements on {@link #device()}
     * @param count number of elements (not bytes)
     * @param type element type
     * @param root the rank whose data is sent, {@code 0 <= root < size()}
     * @param stream {@code cudaStream_t} handle on {@link #device()} (0 = the legacy default stream)
     * @throws NcclException if NCCL rejects the call
     */
    public void broadcast(long sendBuffer, long recvBuffer, long count, NcclDataType type, int root, long stream) {
        requireOpen("ncclBroadcast");
        checkBuffers("ncclBroadcast", rank == root ? sendBuffer : recvBuffer, recvBuffer, count);
        Objects.requireNonNull(type, "type");
        if (root < 0 || root >= size) {
            throw new IllegalArgumentException("ncclBroadcast root " + root + " is outside 0.." + (size - 1));
        }
        int result = Natives.nccl().ncclBroadcast(Natives.pointer(sendBuffer), Natives.pointer(recvBuffer), count, type.code(),
                root, comm, Natives.pointer(stream));
        Natives.checkNccl(result, "ncclBroadcast", comm, rank, device, null);
    }

    /**
     * Reduce-scatter ({@code ncclReduceScatter}): the element-wise reduction of all ranks'
     * {@code sendBuffer} ({@code recvCount * size()} elements) is split in {@code size()} blocks of
     * {@code recvCount} elements, and rank {@code i} receives block {@code i} in {@code recvBuffer}.
     *
     * @param sendBuffer device address of {@code recvCount * size()} elements on {@link #device()}
     * @param recvBuffer device address of {@code recvCount} elements on {@link #device()}
     * @param recvCount elements received per rank (the send buffer holds {@code recvCount * size()})
     * @param type element type
     * @param op reduction
     * @param stream {@code cudaStream_t} handle on {@link #device()} (0 = the legacy default stream)
     * @throws NcclException if NCCL rejects the call
     */
    public void reduceScatter(long sendBuffer, long recvBuffer, long recvCount, NcclDataType type, NcclRedOp op,
            long stream) {
        requireOpen("ncclReduceScatter");
        checkBuffers("ncclReduceScatter", sendBuffer, recvBuffer, recvCount);
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(op, "op");
        int result = Natives.nccl().ncclReduceScatter(Natives.pointer(sendBuffer), Natives.pointer(recvBuffer), recvCount,
                type.code(), op.code(), comm, Natives.pointer(stream));
        Natives.checkNccl(result, "ncclReduceScatter", comm, rank, device, null);
    }

    /**
     * All-gather ({@code ncclAllGather}): every rank's {@code sendCount} elements are gathered, in rank
     * order, into every rank's {@code recvBuffer} ({@code sendCount * size()} elements).
     *
     * @param sendBuffer device address of {@code sendCount} elements on {@link #device()}
     * @param recvBuffer device address of {@code sendCount * size()} elements on {@link #device()}
     * @param sendCount elements sent per rank
     * @param type element type
     * @param stream {@code cudaStream_t} handle on {@link #device()} (0 = the legacy default stream)
     * @throws NcclException if NCCL rejects the call
     */
    public void allGather(long sendBuffer, long recvBuffer, long sendCount, NcclDataType type, long stream) {
        requireOpen("ncclAllGather");
        checkBuffers("ncclAllGather", sendBuffer, recvBuffer, sendCount);
        Objects.requireNonNull(type, "type");
        int result = Natives.nccl().ncclAllGather(Natives.pointer(sendBuffer), Natives.pointer(recvBuffer), sendCount,
                type.code(), comm, Natives.pointer(stream));
        Natives.checkNccl(result, "ncclAllGather", comm, rank, device, null);
    }

    /**
     * The asynchronous error NCCL recorded for this communicator ({@code ncclCommGetAsyncError}), e.g.
     * a peer that died or a network failure during a collective already enqueued. Empty while all is
     * well (also while a nonblocking operation is still in progress). A communicator with an
     * asynchronous error must be {@linkplain #abort() aborted}.
     */
    public Optional<NcclException> asyncError() {
        requireOpen("ncclCommGetAsyncError");
        int code = asyncErrorCode();
        if (code == NcclResult.SUCCESS.code() || code == NcclResult.IN_PROGRESS.code()) {
            return Optional.empty();
        }
        return Optional.of(Natives.ncclException(code, "asynchronous NCCL operation", comm, rank, device,
                "reported by ncclCommGetAsyncError"));
    }

    /** Throws the {@linkplain #asyncError() asynchronous error}, if any. */
    public void checkAsyncError() {
        Optional<NcclException> error = asyncError();
        if (error.isPresent()) {
            throw error.get();
        }
    }

    /**
     * Whether the work enqueued so far on a stream has finished: the one question about a stream that
     * {@link #awaitStream} needs answered, by the caller's CUDA binding ({@code cudaStreamQuery}),
     * since these bindings bind no CUDA runtime.
     */
    @FunctionalInterface
    public interface StreamStatus {
        /**
         * @param stream the {@code cudaStream_t} handle
         * @return true once all work on the stream has finished, false while it is busy
         * @throws RuntimeException if the stream reports an error (a fault in a kernel, say)
         */
        boolean isDone(long stream);
    }

    /**
     * Waits until all work enqueued on {@code stream} has finished, watching this communicator for
     * asynchronous errors, and aborts the communicator if the wait fails or exceeds {@code timeout}
     * (a hung collective, e.g. a peer that died or issued different collectives, otherwise blocks the
     * stream forever and {@code cudaStreamSynchronize} would never return).
     *
     * <p>This polls on purpose: CUDA offers Java no completion notification that also sees NCCL's
     * asynchronous errors, and NCCL's documented way to detect a failing collective is to check
     * {@code ncclCommGetAsyncError} while {@code cudaStreamQuery} reports the stream busy. Between
     * polls the thread parks for 10 µs, doubling up to 1 ms, so short collectives return quickly and
     * long ones cost almost no CPU.
     *
     * @param stream the {@code cudaStream_t} handle the collectives were enqueued on
     * @param timeout how long the stream may stay busy; {@link Duration#ZERO} checks once
     * @param status asks the CUDA binding whether the stream is done (with the legacy default stream
     *     0 the calling thread's current device must be {@link #device()})
     * @throws NcclException with {@code ncclTimeout} if the stream is still busy after {@code timeout},
     *     or with NCCL's code if an asynchronous error occurred; the communicator is aborted in both cases
     * @throws RuntimeException whatever {@code status} throws for a failed stream (the communicator is
     *     aborted too)
     * @throws InterruptedException if the thread is interrupted; the collective is then still in
     *     flight and the communicator open: call {@link #abort()} to give up on it
     */
    public void awaitStream(long stream, Duration timeout, StreamStatus status) throws InterruptedException {
        requireOpen("awaitStream");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(status, "status");
        long timeoutNanos = saturatedNanos(timeout);
        long start = System.nanoTime();
        long pause = MIN_POLL_PAUSE_NANOS;
        while (true) {
            boolean done;
            try {
                done = status.isDone(stream);
            } catch (RuntimeException e) {
                abortInto(e);
                throw e;
            }
            if (done) {
                failIfAsyncError();
                return;
            }
            failIfAsyncError();
            long elapsed = System.nanoTime() - start;
            if (elapsed >= timeoutNanos) {
                NcclException e = new NcclException(NcclResult.TIMEOUT.code(), "awaitStream", rank, device, null,
                        null, "stream 0x" + Long.toHexString(stream) + " still busy after " + timeout
                                + "; communicator aborted");
                abortInto(e);
                throw e;
            }
            if (Thread.interrupted()) {
                throw new InterruptedException("awaitStream interrupted on rank " + rank + " (device " + device
                        + "); the collective is still in flight: call abort() to give up on it");
            }
            LockSupport.parkNanos(Math.min(pause, timeoutNanos - elapsed));
            pause = Math.min(pause * 2, MAX_POLL_PAUSE_NANOS);
        }
    }

    private void failIfAsyncError() {
        int code = asyncErrorCode();
        if (code != NcclResult.SUCCESS.code() && code != NcclResult.IN_PROGRESS.code()) {
            NcclException e = Natives.ncclException(code, "asynchronous NCCL operation", comm, rank, device,
                    "reported by ncclCommGetAsyncError while waiting for the stream; communicator aborted");
            abortInto(e);
            throw e;
        }
    }

    private void abortInto(RuntimeException primary) {
        try {
            abort();
        } catch (RuntimeException suppressed) {
            primary.addSuppressed(suppressed);
        }
    }

    private int asyncErrorCode() {
        IntByReference value = new IntByReference();
        Natives.checkNccl(Natives.nccl().ncclCommGetAsyncError(comm, value), "ncclCommGetAsyncError", comm, rank,
                device, null);
        return value.getValue();
    }

    private static long saturatedNanos(Duration d) {
        if (d.isNegative()) {
            throw new IllegalArgumentException("timeout must not be negative: " + d);
        }
        try {
            return d.toNanos();
        } catch (ArithmeticException overflow) {
            return Long.MAX_VALUE;
        }
    }

    /**
     * Aborts the communicator ({@code ncclCommAbort}): frees it without waiting for outstanding
     * operations and makes peers' pending collectives fail instead of hanging. Use it after an error
     * or timeout; afterwards the communicator is unusable and {@link #close()} does nothing.
     * Idempotent.
     *
     * @throws NcclException if NCCL reports a failure while aborting (the handle is released anyway)
     */
    public void abort() {
        if (state.compareAndSet(OPEN, ABORTED)) {
            Natives.checkNccl(Natives.nccl().ncclCommAbort(comm), "ncclCommAbort", null, rank, device, null);
        }
    }

    /**
     * Destroys the communicator ({@code ncclCommDestroy}) after its enqueued operations; a no-op after
     * {@link #abort()} or a previous close. After a failed or timed-out collective use {@link #abort()}
     * instead: destroy may wait for peers that never come.
     *
     * @throws NcclException if NCCL reports a failure
     */
    @Override
    public void close() {
        if (state.compareAndSet(OPEN, DESTROYED)) {
            Natives.checkNccl(Natives.nccl().ncclCommDestroy(comm), "ncclCommDestroy", null, rank, device, null);
        }
    }

    @Override
    public String toString() {
        String s = switch (state.get()) {
            case OPEN -> "open";
            case ABORTED -> "aborted";
            default -> "destroyed";
        };
        return "NcclCommunicator[rank " + rank + " of " + size + ", device " + device + ", " + s + "]";
    }

    private void requireOpen(String operation) {
        int s = state.get();
        if (s != OPEN) {
            throw new IllegalStateException(operation + " on rank " + rank + " (device " + device
                    + "): the communicator was " + (s == ABORTED ? "aborted" : "destroyed")
                    + "; create a new one");
        }
    }

    private void checkBuffers(String operation, long sendBuffer, long recvBuffer, long count) {
        if (count < 0) {
            throw new IllegalArgumentException(operation + " on rank " + rank + ": negative element count " + count);
        }
        if (count > 0 && (sendBuffer == 0 || recvBuffer == 0)) {
            throw new IllegalArgumentException(operation + " on rank " + rank + ": null device address (send 0x"
                    + Long.toHexString(sendBuffer) + ", recv 0x" + Long.toHexString(recvBuffer) + ") for "
                    + count + " elements");
        }
    }
}
