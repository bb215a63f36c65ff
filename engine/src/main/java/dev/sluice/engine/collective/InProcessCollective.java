package dev.sluice.engine.collective;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One rank's handle of an {@link InProcessGroup}. See the group for the algorithm and failure
 * behaviour. Not thread-safe: one thread per rank.
 */
public final class InProcessCollective implements Collective {

    /** Kinds of collective call, compared across ranks. */
    enum Kind {
        ALL_REDUCE, BROADCAST, BARRIER
    }

    /** One rank's current call; written by its owner before a barrier, read by all after it. */
    static final class Call {
        Kind kind;
        int bytes;
        ElementType type;
        ReduceOp op;
        int root;

        void set(Kind kind, int bytes, ElementType type, ReduceOp op, int root) {
            this.kind = kind;
            this.bytes = bytes;
            this.type = type;
            this.op = op;
            this.root = root;
        }

        boolean sameAs(Call o) {
            return kind == o.kind && bytes == o.bytes && type == o.type && op == o.op && root == o.root;
        }

        @Override
        public String toString() {
            return switch (kind) {
                case ALL_REDUCE -> "allReduce(" + bytes + " bytes, " + type + ", " + op + ")";
                case BROADCAST -> "broadcast(" + bytes + " bytes, root " + root + ")";
                case BARRIER -> "barrier()";
            };
        }
    }

    private final InProcessGroup group;
    private final int rank;
    private final BufferView view;
    private Call call;
    private final Reducer reducer = new Reducer();
    private long calls;
    private volatile boolean closed;

    InProcessCollective(InProcessGroup group, int rank) {
        this.group = group;
        this.rank = rank;
        this.view = group.views[rank];
        this.call = group.calls[rank][0];
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int worldSize() {
        return group.worldSize;
    }

    @Override
    public void allReduce(ByteBuffer data, ElementType type, ReduceOp op) throws CollectiveException {
        int bytes = Checks.region("allReduce", data, type, true);
        if (op == null) {
            throw new IllegalArgumentException("allReduce: op is null");
        }
        ensureOpen();
        int n = group.worldSize;
        try {
            view.bind(data);
            view.prepare(type);
            begin(Kind.ALL_REDUCE, bytes, type, op, -1);
            sync();
            checkCalls();
            int count = bytes / type.bytes();
            // reduce-scatter: this rank owns slice `rank` and combines it from all ranks in rank order
            int lo = slice(count, rank);
            int hi = slice(count, rank + 1);
            if (hi > lo) {
                reducer.reduce(group.views, lo, view, lo, hi - lo, type, op, n);
            }
            sync();
            // all-gather: copy every other rank's reduced slice from its buffer
            ByteBuffer mine = view.bytes();
            int size = type.bytes();
            for (int s = 0; s < n; s++) {
                if (s != rank) {
                    int from = slice(count, s) * size;
                    int to = slice(count, s + 1) * size;
                    if (to > from) {
                        mine.put(from, group.views[s].bytes(), from, to - from);
                    }
                }
            }
            // nobody may touch its buffer again before everyone has copied from it
            sync();
        } catch (RuntimeException e) {
            group.fail(new CollectiveException(CollectiveException.Reason.PEER_FAILED, rank, rank,
                    "rank " + rank + " failed in allReduce: " + e, e));
            throw e;
        }
    }

    @Override
    public void broadcast(ByteBuffer data, int root) throws CollectiveException {
        Checks.root("broadcast", root, group.worldSize);
        int bytes = Checks.region("broadcast", data, null, rank != root);
        ensureOpen();
        try {
            view.bind(data);
            begin(Kind.BROADCAST, bytes, null, null, root);
            sync();
            checkCalls();
            if (rank != root && bytes > 0) {
                view.bytes().put(0, group.views[root].bytes(), 0, bytes);
            }
            sync();
        } catch (RuntimeException e) {
            group.fail(new CollectiveException(CollectiveException.Reason.PEER_FAILED, rank, rank,
                    "rank " + rank + " failed in broadcast: " + e, e));
            throw e;
        }
    }

    @Override
    public void barrier() throws CollectiveException {
        ensureOpen();
        begin(Kind.BARRIER, 0, null, null, -1);
        sync();
        checkCalls();
    }

    @Override
    public String describe() {
        return "in-process shared memory, rank " + rank + " of " + group.worldSize;
    }

    /**
     * Leaves the group. Other ranks still calling collectives fail with
     * {@link CollectiveException.Reason#PEER_FAILED} naming this rank.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        group.fail(new CollectiveException(CollectiveException.Reason.PEER_FAILED, -1, rank,
                "rank " + rank + " closed its collective (left the group)"));
        // the view is kept: close() may come from another thread while ranks still read this buffer
    }

    /** First element of slice {@code i}, rounded to 16 elements so ranks write separate cache lines. */
    private int slice(int count, int i) {
        if (i >= group.worldSize) {
            return count;
        }
        int start = Checks.segmentStart(count, i, group.worldSize);
        return Math.min(count, (start + 15) & ~15);
    }

    private void ensureOpen() throws CollectiveException {
        if (closed) {
            throw new CollectiveException(CollectiveException.Reason.CLOSED, rank, -1,
                    "this collective handle was closed");
        }
        CollectiveException f = group.failure();
        if (f != null) {
            throw failed(f);
        }
    }

    /** Arrives at the next synchronization point and waits for all ranks. */
    private void sync() throws CollectiveException {
        long point = group.arrivals.incrementAndGet(rank);
        int phase = group.phaser.arrive();
        if (phase < 0) {
            throw failed(group.failure());
        }
        try {
            int next = group.phaser.awaitAdvanceInterruptibly(phase, group.timeoutNanos, TimeUnit.NANOSECONDS);
            // a terminated phaser reports its phase with the sign bit set; if that phase is past ours,
            // every rank arrived before the termination (a rank closing right after its last call),
            // so this call completed and the next one will see the failure
            if (next < 0 && (next & Integer.MAX_VALUE) == phase) {
                throw failed(group.failure());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            CollectiveException ce = new CollectiveException(CollectiveException.Reason.INTERRUPTED, rank, rank,
                    "rank " + rank + " was interrupted while waiting for the other ranks", e);
            group.fail(ce);
            throw ce;
        } catch (TimeoutException e) {
            List<Integer> missing = new ArrayList<>();
            for (int r = 0; r < group.worldSize; r++) {
                if (group.arrivals.get(r) < point) {
                    missing.add(r);
                }
            }
            CollectiveException ce = new CollectiveException(CollectiveException.Reason.TIMEOUT, rank,
                    missing.isEmpty() ? -1 : missing.get(0),
                    "waited " + TimeUnit.NANOSECONDS.toMillis(group.timeoutNanos) + " ms in " + call
                            + " for " + (missing.size() == 1 ? "rank " + missing.get(0) : "ranks " + missing)
                            + " (stuck, slower than the timeout, or not making the same calls?)", e);
            group.fail(ce);
            throw ce;
        }
    }

    private void begin(Kind kind, int bytes, ElementType type, ReduceOp op, int root) {
        call = group.calls[rank][(int) (calls & 1)];
        call.set(kind, bytes, type, op, root);
    }

    /**
     * Compares every rank's call with rank 0's. Every rank sees the same calls, so all ranks detect a
     * mismatch in the same phase and report the same culprit.
     */
    private void checkCalls() throws CollectiveException {
        int slot = (int) (calls & 1);
        calls++;
        Call first = group.calls[0][slot];
        for (int r = 1; r < group.worldSize; r++) {
            Call other = group.calls[r][slot];
            if (!other.sameAs(first)) {
                CollectiveException ce = new CollectiveException(CollectiveException.Reason.CALL_MISMATCH, rank, r,
                        "rank " + r + " called " + other + " but rank 0 called " + first
                                + ": every rank must make the same collective calls in the same order");
                group.fail(ce);
                throw ce;
            }
        }
    }

    /** This rank's view of a failure elsewhere in the group. */
    private CollectiveException failed(CollectiveException cause) {
        if (cause == null) {
            return new CollectiveException(CollectiveException.Reason.CLOSED, rank, -1, "the group was terminated");
        }
        return new CollectiveException(cause.reason(), rank, cause.peerRank(),
                "collective aborted: " + cause.getMessage(), cause);
    }
}
