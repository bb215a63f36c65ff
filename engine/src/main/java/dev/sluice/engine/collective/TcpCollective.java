package dev.sluice.engine.collective;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import dev.sluice.engine.collective.CollectiveException.Reason;

/**
 * Collective over TCP between processes (or threads), one instance per rank, arranged in a ring:
 * every rank sends to rank+1 and receives from rank-1 on two non-blocking socket channels driven
 * by one selector in the calling thread.
 *
 * <p><b>All-reduce</b> is the bandwidth-optimal ring algorithm: the region is split into N segments;
 * N-1 reduce-scatter steps each send one segment to the next rank while receiving another from the
 * previous rank in chunks and reducing each chunk into place; afterwards rank r holds the fully
 * reduced segment r+1, and N-1 all-gather steps circulate the reduced segments, received straight
 * into the caller's buffer. Every rank sends and receives 2(N-1)/N of the region.
 *
 * <p><b>Determinism.</b> The order in which a segment's N contributions are summed depends on the
 * segment (segment s is combined starting from rank s+1's values around the ring), not on timing,
 * so it is the same in every run with the same world size. Each segment's final value is computed
 * on exactly one rank and then copied byte for byte to all others, so every rank ends with
 * bit-identical results, even for floating point where a different order would round differently.
 *
 * <p><b>Broadcast</b> is pipelined along the ring from the root: each rank forwards bytes to the next
 * as soon as they arrive. <b>Barrier</b> is an all-reduce of one integer per rank, in which every
 * rank's completion depends on every other rank having entered.
 *
 * <p><b>Failures.</b> Every call first exchanges a 32-byte header with the neighbours (sequence
 * number, operation, size, type, op, root), so ranks making different calls fail with
 * {@link Reason#CALL_MISMATCH} instead of exchanging garbage. A neighbour that exits, crashes or
 * closes while this rank still has bytes to send to it or receive from it shows as end-of-stream or
 * a reset on its socket and fails the operation at once with {@link Reason#PEER_FAILED} naming that
 * rank; the failing rank closes its sockets, so the failure travels around the ring and every rank
 * fails fast (ranks further away name the neighbour that failed before them, whose own error names
 * the root cause). A rank that closes right after its last call is not a failure. No progress for
 * {@link TcpOptions#operationTimeout()} fails with {@link Reason#TIMEOUT}. After a failure the
 * instance is unusable.
 *
 * <p>Elements travel in native byte order: all ranks must share the byte order (all common
 * platforms are little-endian). Not thread-safe: one thread per rank; {@link #close()} may be called
 * from another thread to abort.
 */
public final class TcpCollective implements Collective {

    /** Kinds of collective call, compared across ranks through the call header. */
    private enum Kind {
        ALL_REDUCE, BROADCAST, BARRIER
    }

    private static final int HEADER_BYTES = 32;

    private final TcpOptions options;
    private final int rank;
    private final int n;
    private final int next;
    private final int prev;
    private final long opTimeoutNanos;
    private final SocketChannel toNext;
    private final SocketChannel fromPrev;
    private final Selector selector;
    private final SelectionKey sendKey;
    private final SelectionKey recvKey;
    private final ByteBuffer headerOut = ByteBuffer.allocateDirect(HEADER_BYTES);
    private final ByteBuffer headerIn = ByteBuffer.allocateDirect(HEADER_BYTES);
    private final ByteBuffer probe = ByteBuffer.allocateDirect(1);
    private final ByteBuffer recvChunk;
    private final BufferView recvView = new BufferView();
    private final ByteBuffer barrierBuffer;
    private final BufferView barrierView = new BufferView();
    private final BufferView view = new BufferView();
    private final Reducer reducer = new Reducer();
    private final Consumer<SelectionKey> onReady = this::onReady;
    private boolean nextReadable;
    private long sequence;
    private CollectiveException broken;
    private volatile boolean closed;

    private TcpCollective(TcpOptions options, TcpRendezvous.Links links) throws CollectiveException {
        this.options = options;
        this.rank = options.rank();
        this.n = options.worldSize();
        this.next = (rank + 1) % n;
        this.prev = (rank + n - 1) % n;
        this.opTimeoutNanos = options.operationTimeout().toNanos();
        this.toNext = links.toNext();
        this.fromPrev = links.fromPrev();
        this.recvChunk = ByteBuffer.allocateDirect(n == 1 ? 8 : options.chunkBytes()).order(ByteOrder.nativeOrder());
        this.barrierBuffer = ByteBuffer.allocateDirect(4 * n).order(ByteOrder.nativeOrder());
        recvView.bind(recvChunk);
        barrierView.bind(barrierBuffer);
        barrierView.prepare(ElementType.INT32);
        if (n == 1) {
            selector = null;
            sendKey = null;
            recvKey = null;
            return;
        }
        Selector s = null;
        try {
            s = Selector.open();
            toNext.configureBlocking(false);
            fromPrev.configureBlocking(false);
            // rank+1 never sends on this socket: OP_READ on it fires only when rank+1 closes or resets
            // it, which detects its death while we are sending to it
            this.sendKey = toNext.register(s, 0);
            this.recvKey = fromPrev.register(s, 0);
            this.selector = s;
        } catch (IOException e) {
            CollectiveException ce = new CollectiveException(Reason.NETWORK, rank, -1,
                    "could not set up the ring sockets: " + e.getMessage(), e);
            TcpRendezvous.closeAll(ce, s, toNext, fromPrev);
            throw ce;
        }
    }

    /**
     * Joins the group described by {@code options}: rank 0 listens on the master address and waits
     * for the others, every other rank connects to it (retrying until rank 0 is up). Returns when
     * the ring is connected.
     *
     * @throws CollectiveException {@link Reason#RENDEZVOUS_TIMEOUT} when not every rank joined in
     *     time (naming the missing ranks), {@link Reason#WORLD_SIZE_MISMATCH},
     *     {@link Reason#FINGERPRINT_MISMATCH} or {@link Reason#RANK_CONFLICT} naming the rank that
     *     differs and how, {@link Reason#NETWORK} when sockets cannot be opened
     */
    public static TcpCollective connect(TcpOptions options) throws CollectiveException {
        if (options.rank() == 0) {
            try (Master master = listen(options)) {
                return master.awaitPeers();
            }
        }
        return new TcpCollective(options, TcpRendezvous.join(options));
    }

    /**
     * Rank 0 only: binds the rendezvous port now (useful with port 0, to learn the port before
     * starting the other ranks), and completes the rendezvous with {@link Master#awaitPeers()}.
     */
    public static Master listen(TcpOptions options) throws CollectiveException {
        return new Master(options);
    }

    /** Rank 0's bound rendezvous listener. */
    public static final class Master implements AutoCloseable {
        private final TcpOptions options;
        private final TcpRendezvous.Master master;

        private Master(TcpOptions options) throws CollectiveException {
            this.options = options;
            this.master = new TcpRendezvous.Master(options);
        }

        /** The port the rendezvous listens on (the actual one when 0 was asked for). */
        public int port() {
            return master.port();
        }

        /** Waits for every other rank, checks them and connects the ring; call once. */
        public TcpCollective awaitPeers() throws CollectiveException {
            return new TcpCollective(options.withMasterPort(port()), master.await());
        }

        @Override
        public void close() {
            master.close();
        }
    }

    /**
     * Starts {@code worldSize} ranks in this JVM over loopback (rank 0 on a free port of
     * 127.0.0.1), one setup thread per rank; used by benchmarks and tests.
     */
    public static List<TcpCollective> loopback(int worldSize, TcpOptions template) throws CollectiveException {
        TcpOptions base = new TcpOptions("127.0.0.1", 0, 0, worldSize, template.fingerprint(),
                template.rendezvousTimeout(), template.operationTimeout(), template.chunkBytes());
        TcpCollective[] ranks = new TcpCollective[worldSize];
        CollectiveException[] errors = new CollectiveException[worldSize];
        List<Thread> threads = new ArrayList<>();
        try (Master master = listen(base)) {
            int port = master.port();
            for (int r = 1; r < worldSize; r++) {
                int rank = r;
                Thread t = new Thread(() -> {
                    try {
                        ranks[rank] = connect(base.withMasterPort(port).withRank(rank));
                    } catch (CollectiveException e) {
                        errors[rank] = e;
                    }
                }, "tcp-collective-setup-" + r);
                t.start();
                threads.add(t);
            }
            try {
                ranks[0] = master.awaitPeers();
            } catch (CollectiveException e) {
                errors[0] = e;
            }
            for (Thread t : threads) {
                t.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            CollectiveException ce = new CollectiveException(Reason.INTERRUPTED, 0, -1,
                    "interrupted while starting loopback ranks", e);
            closeAll(ranks);
            throw ce;
        }
        for (CollectiveException e : errors) {
            if (e != null) {
                closeAll(ranks);
                throw e;
            }
        }
        return List.of(ranks);
    }

    private static void closeAll(TcpCollective[] ranks) {
        for (TcpCollective c : ranks) {
            if (c != null) {
                c.close();
            }
        }
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int worldSize() {
        return n;
    }

    @Override
    public void allReduce(ByteBuffer data, ElementType type, ReduceOp op) throws CollectiveException {
        int bytes = Checks.region("allReduce", data, type, true);
        if (op == null) {
            throw new IllegalArgumentException("allReduce: op is null");
        }
        ensureUsable();
        exchangeHeader(Kind.ALL_REDUCE, bytes, type, op, -1);
        if (n == 1 || bytes == 0) {
            return;
        }
        view.bind(data);
        view.prepare(type);
        ring(view, bytes / type.bytes(), type, op, Kind.ALL_REDUCE);
    }

    @Override
    public void broadcast(ByteBuffer data, int root) throws CollectiveException {
        Checks.root("broadcast", root, n);
        int bytes = Checks.region("broadcast", data, null, rank != root);
        ensureUsable();
        exchangeHeader(Kind.BROADCAST, bytes, null, null, root);
        if (n == 1 || bytes == 0) {
            return;
        }
        view.bind(data);
        ByteBuffer out = view.sendSide().clear();
        ByteBuffer in = view.recvSide().clear();
        if (rank == root) {
            pump(out, null, true, false, Kind.BROADCAST, 0);
        } else if (next == root) {
            pump(null, in, true, false, Kind.BROADCAST, 0);
        } else {
            // forward each byte to the next rank as soon as it has arrived
            out.limit(0);
            pump(out, in, true, true, Kind.BROADCAST, 0);
        }
    }

    @Override
    public void barrier() throws CollectiveException {
        ensureUsable();
        exchangeHeader(Kind.BARRIER, 4 * n, ElementType.INT32, ReduceOp.SUM, -1);
        if (n == 1) {
            return;
        }
        for (int i = 0; i < n; i++) {
            barrierBuffer.putInt(4 * i, 1);
        }
        ring(barrierView, n, ElementType.INT32, ReduceOp.SUM, Kind.BARRIER);
        for (int i = 0; i < n; i++) {
            if (barrierBuffer.getInt(4 * i) != n) {
                throw fail(new CollectiveException(Reason.PROTOCOL_ERROR, rank, -1, "barrier counted "
                        + barrierBuffer.getInt(4 * i) + " ranks instead of " + n + ": the ring is corrupted"));
            }
        }
    }

    @Override
    public String describe() {
        return "tcp ring, rank " + rank + " of " + n + ", master " + options.masterHost() + ":"
                + options.masterPort();
    }

    /**
     * Closes the ring sockets. Neighbours in, or later entering, an operation fail with
     * {@link Reason#PEER_FAILED} naming this rank, and their failure travels on around the ring.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        CollectiveException ce = new CollectiveException(Reason.NETWORK, rank, -1, "closing ring sockets");
        // the view is left alone: close() may come from another thread to abort a running call
        TcpRendezvous.closeAll(ce, selector, toNext, fromPrev);
        if (ce.getSuppressed().length > 0) {
            throw new IllegalStateException(ce.getMessage(), ce);
        }
    }

    /** Ring reduce-scatter then all-gather over {@code count} elements of {@code v}. */
    private void ring(BufferView v, int count, ElementType type, ReduceOp op, Kind kind) throws CollectiveException {
        int size = type.bytes();
        int chunkElements = recvChunk.capacity() / size;
        recvView.prepare(type);
        ByteBuffer out = v.sendSide();
        ByteBuffer in = v.recvSide();
        for (int s = 0; s < n - 1; s++) {
            segment(out, count, mod(rank - s), size);
            int lo = Checks.segmentStart(count, mod(rank - s - 1), n);
            int hi = Checks.segmentStart(count, mod(rank - s - 1) + 1, n);
            for (int e = lo; e < hi; ) {
                int m = Math.min(chunkElements, hi - e);
                recvChunk.clear().limit(m * size);
                pump(out, recvChunk, false, false, kind, s);
                reducer.accumulate(v, e, recvView, 0, m, type, op);
                e += m;
            }
            pump(out, null, true, false, kind, s);
        }
        if (op == ReduceOp.AVG) {
            int owned = mod(rank + 1);
            int lo = Checks.segmentStart(count, owned, n);
            int hi = Checks.segmentStart(count, owned + 1, n);
            reducer.divide(v, lo, hi - lo, type, n);
        }
        for (int s = 0; s < n - 1; s++) {
            segment(out, count, mod(rank + 1 - s), size);
            segment(in, count, mod(rank - s), size);
            pump(out, in, true, false, kind, n - 1 + s);
        }
    }

    private void segment(ByteBuffer b, int count, int segment, int size) {
        b.clear();
        b.position(Checks.segmentStart(count, segment, n) * size);
        b.limit(Checks.segmentStart(count, segment + 1, n) * size);
    }

    private int mod(int i) {
        return Math.floorMod(i, n);
    }

    /** Sends the call header to the next rank and checks the previous rank's against our own. */
    private void exchangeHeader(Kind kind, int bytes, ElementType type, ReduceOp op, int root)
            throws CollectiveException {
        sequence++;
        if (n == 1) {
            return;
        }
        int typeCode = type == null ? -1 : type.ordinal();
        int opCode = op == null ? -1 : op.ordinal();
        headerOut.clear();
        headerOut.putInt(TcpRendezvous.MAGIC).putLong(sequence).putInt(kind.ordinal()).putInt(bytes)
                .putInt(typeCode).putInt(opCode).putInt(root).flip();
        headerIn.clear();
        pump(headerOut, headerIn, true, false, kind, -1);
        headerIn.flip();
        int magic = headerIn.getInt();
        long theirSequence = headerIn.getLong();
        int theirKind = headerIn.getInt();
        int theirBytes = headerIn.getInt();
        int theirType = headerIn.getInt();
        int theirOp = headerIn.getInt();
        int theirRoot = headerIn.getInt();
        if (magic != TcpRendezvous.MAGIC) {
            throw fail(new CollectiveException(Reason.PROTOCOL_ERROR, rank, prev, "rank " + prev
                    + " sent a malformed call header: the byte streams are out of step"));
        }
        if (theirSequence != sequence || theirKind != kind.ordinal() || theirBytes != bytes
                || theirType != typeCode || theirOp != opCode || theirRoot != root) {
            throw fail(new CollectiveException(Reason.CALL_MISMATCH, rank, prev, "rank " + prev + " made call #"
                    + theirSequence + " " + describeCall(theirKind, theirBytes, theirType, theirOp, theirRoot)
                    + " but rank " + rank + " made call #" + sequence + " "
                    + describeCall(kind.ordinal(), bytes, typeCode, opCode, root)
                    + ": every rank must make the same collective calls in the same order"));
        }
    }

    private static String describeCall(int kind, int bytes, int type, int op, int root) {
        Kind[] kinds = Kind.values();
        if (kind < 0 || kind >= kinds.length) {
            return "unknown(" + kind + ")";
        }
        return switch (kinds[kind]) {
            case ALL_REDUCE -> "allReduce(" + bytes + " bytes, " + name(ElementType.values(), type) + ", "
                    + name(ReduceOp.values(), op) + ")";
            case BROADCAST -> "broadcast(" + bytes + " bytes, root " + root + ")";
            case BARRIER -> "barrier()";
        };
    }

    private static String name(Enum<?>[] values, int code) {
        return code >= 0 && code < values.length ? values[code].name() : "?" + code;
    }

    /**
     * Moves bytes until {@code in} is full and, when {@code finishOut}, {@code out} is empty; either
     * may be null. With {@code forward}, {@code out} and {@code in} view the same region and
     * {@code out} may only send what {@code in} has received.
     */
    private void pump(ByteBuffer out, ByteBuffer in, boolean finishOut, boolean forward, Kind kind, int step)
            throws CollectiveException {
        long idleSince = System.nanoTime();
        while (true) {
            if (forward) {
                out.limit(in.position());
            }
            boolean wantIn = in != null && in.hasRemaining();
            boolean wantOut = out != null && out.hasRemaining();
            if (!wantIn && (!finishOut || !wantOut)) {
                return;
            }
            boolean moved = false;
            if (wantOut && write(out, kind, step) > 0) {
                moved = true;
            }
            if (wantIn && read(in, kind, step) > 0) {
                moved = true;
            }
            if (moved) {
                idleSince = System.nanoTime();
                continue;
            }
            long waitNanos = opTimeoutNanos - (System.nanoTime() - idleSince);
            if (waitNanos <= 0) {
                throw fail(timeout(wantIn, kind, step));
            }
            try {
                // watch rank+1 for a close only while we still owe it bytes: after it has received
                // everything it may close at once (its last call), which is not a failure of ours
                sendKey.interestOps(wantOut ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : 0);
                recvKey.interestOps(wantIn ? SelectionKey.OP_READ : 0);
                nextReadable = false;
                selector.select(onReady, Math.max(1, TimeUnit.NANOSECONDS.toMillis(waitNanos + 999_999)));
            } catch (ClosedSelectorException | CancelledKeyException e) {
                throw fail(closedUnderUs(kind, e));
            } catch (IOException e) {
                throw fail(new CollectiveException(Reason.NETWORK, rank, -1, "waiting for the ring sockets failed in "
                        + what(kind, step) + ": " + e.getMessage(), e));
            }
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                throw fail(new CollectiveException(Reason.INTERRUPTED, rank, -1, "interrupted in " + what(kind, step)));
            }
            if (nextReadable) {
                checkNext(kind, step);
            }
        }
    }

    private void onReady(SelectionKey key) {
        if (key == sendKey && key.isReadable()) {
            nextReadable = true;
        }
    }

    private int read(ByteBuffer in, Kind kind, int step) throws CollectiveException {
        int got;
        try {
            got = fromPrev.read(in);
        } catch (ClosedByInterruptException e) {
            throw fail(new CollectiveException(Reason.INTERRUPTED, rank, -1, "interrupted in " + what(kind, step), e));
        } catch (AsynchronousCloseException e) {
            throw fail(closedUnderUs(kind, e));
        } catch (IOException e) {
            throw fail(new CollectiveException(Reason.PEER_FAILED, rank, prev, "the connection from rank " + prev
                    + " failed in " + what(kind, step) + ": " + e.getMessage()
                    + " (rank " + prev + " crashed or its host is gone; see its log)", e));
        }
        if (got < 0) {
            throw fail(new CollectiveException(Reason.PEER_FAILED, rank, prev, "rank " + prev
                    + " closed its connection in " + what(kind, step)
                    + " (it exited, crashed or failed; see its log)"));
        }
        return got;
    }

    private int write(ByteBuffer out, Kind kind, int step) throws CollectiveException {
        try {
            return toNext.write(out);
        } catch (ClosedByInterruptException e) {
            throw fail(new CollectiveException(Reason.INTERRUPTED, rank, -1, "interrupted in " + what(kind, step), e));
        } catch (AsynchronousCloseException e) {
            throw fail(closedUnderUs(kind, e));
        } catch (IOException e) {
            throw fail(new CollectiveException(Reason.PEER_FAILED, rank, next, "sending to rank " + next
                    + " failed in " + what(kind, step) + ": " + e.getMessage()
                    + " (rank " + next + " exited, crashed or failed; see its log)", e));
        }
    }

    /** The next rank never sends on our outgoing socket: readable means it closed or reset it. */
    private void checkNext(Kind kind, int step) throws CollectiveException {
        probe.clear();
        int got;
        try {
            got = toNext.read(probe);
        } catch (IOException e) {
            throw fail(new CollectiveException(Reason.PEER_FAILED, rank, next, "the connection to rank " + next
                    + " failed in " + what(kind, step) + ": " + e.getMessage()
                    + " (rank " + next + " crashed or its host is gone; see its log)", e));
        }
        if (got < 0) {
            throw fail(new CollectiveException(Reason.PEER_FAILED, rank, next, "rank " + next
                    + " closed its connection in " + what(kind, step) + " (it exited, crashed or failed; see its log)"));
        }
        if (got > 0) {
            throw fail(new CollectiveException(Reason.PROTOCOL_ERROR, rank, next, "rank " + next
                    + " sent data on the wrong ring connection"));
        }
    }

    private CollectiveException timeout(boolean waitingForData, Kind kind, int step) {
        long ms = TimeUnit.NANOSECONDS.toMillis(opTimeoutNanos);
        return waitingForData
                ? new CollectiveException(Reason.TIMEOUT, rank, prev, "no data from rank " + prev + " for " + ms
                + " ms in " + what(kind, step) + ": rank " + prev + " is stuck, slower than the operation timeout,"
                + " or not making the same call")
                : new CollectiveException(Reason.TIMEOUT, rank, next, "rank " + next + " accepted no data for " + ms
                + " ms in " + what(kind, step) + ": rank " + next + " is stuck, slower than the operation timeout,"
                + " or not making the same call");
    }

    private CollectiveException closedUnderUs(Kind kind, Exception cause) {
        return new CollectiveException(Reason.CLOSED, rank, -1, "this collective was closed during " + kind, cause);
    }

    private String what(Kind kind, int step) {
        String name = switch (kind) {
            case ALL_REDUCE -> "allReduce";
            case BROADCAST -> "broadcast";
            case BARRIER -> "barrier";
        };
        return step < 0 ? name + " call #" + sequence + " (header)" : name + " call #" + sequence + " step " + step;
    }

    private void ensureUsable() throws CollectiveException {
        if (broken != null) {
            throw new CollectiveException(broken.reason(), rank, broken.peerRank(),
                    "unusable after an earlier failure: " + broken.detail(), broken);
        }
        if (closed) {
            throw new CollectiveException(Reason.CLOSED, rank, -1, "this collective was closed");
        }
    }

    /** Marks the collective broken and closes the sockets so the neighbours fail fast too. */
    private CollectiveException fail(CollectiveException e) {
        if (broken == null) {
            broken = e;
        }
        closed = true;
        TcpRendezvous.closeAll(e, selector, toNext, fromPrev);
        view.clear();
        return e;
    }
}
