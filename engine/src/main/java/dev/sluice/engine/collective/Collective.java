package dev.sluice.engine.collective;

import java.nio.ByteBuffer;

/**
 * Collective communication among the ranks of a data-parallel job; one instance per rank, used by
 * one thread at a time.
 *
 * <p>Calls are collective: every rank must make the same sequence of calls, with the same region
 * size, element type, operation and root. Implementations detect mismatches where they can and then
 * fail with {@link CollectiveException.Reason#CALL_MISMATCH}.
 *
 * <p>Buffers are direct {@link ByteBuffer}s; the region worked on is {@code position()} to
 * {@code limit()}, and neither is changed. Elements are in native byte order regardless of the
 * buffer's {@link ByteBuffer#order()}. The memory may be host memory (CPU implementations read and
 * write it) or, for device implementations such as NCCL, a view over device memory that is never
 * dereferenced in Java: the implementation takes its address and runs the operation on a stream it
 * owns. See {@link #synchronize()} for when results are visible.
 *
 * <p>Results are bit-identical on every rank, so replicas that apply identical updates stay equal.
 */
public interface Collective extends AutoCloseable {

    /** This rank, in [0, {@link #worldSize()}). */
    int rank();

    /** Number of ranks in the group. */
    int worldSize();

    /**
     * Reduces the region element-wise across all ranks, in place: afterwards every rank's region
     * holds the same result.
     *
     * @param data direct buffer; the region's length must be a whole number of elements
     * @param type element type of the region
     * @param op how elements are combined
     * @throws CollectiveException when a peer fails, calls differ or the operation times out
     * @throws IllegalArgumentException when the buffer is not direct, read-only or not a whole
     *     number of elements
     */
    void allReduce(ByteBuffer data, ElementType type, ReduceOp op) throws CollectiveException;

    /**
     * Copies the region of rank {@code root} into the region of every other rank. Regions must have
     * the same length on every rank.
     *
     * @throws CollectiveException when a peer fails, calls differ or the operation times out
     * @throws IllegalArgumentException when the buffer is not direct, is read-only on a non-root
     *     rank, or {@code root} is out of range
     */
    void broadcast(ByteBuffer data, int root) throws CollectiveException;

    /** Returns only after every rank has entered the barrier. */
    void barrier() throws CollectiveException;

    /**
     * Waits until every operation this rank issued has completed and its results are visible to
     * the caller. CPU implementations complete each call before returning, so this returns at once
     * for them; device implementations wait for their stream.
     */
    default void synchronize() throws CollectiveException {
    }

    /** Short description for logs, e.g. {@code "tcp ring, rank 1 of 4, master 10.0.0.1:29500"}. */
    String describe();

    /**
     * Releases this rank's resources. Peers that are in, or later start, an operation with this rank
     * fail with {@link CollectiveException.Reason#PEER_FAILED} naming this rank rather than hang.
     * Idempotent.
     */
    @Override
    void close();
}
