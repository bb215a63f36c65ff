package dev.sluice.data.store;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One store attempt of a ranged read that may be hedged: the first request writes into the
 * caller's buffer; if it is still unanswered at the {@link Hedger}'s deadline and the budget
 * allows, a second request for the same range writes into a scratch buffer of its own. The first
 * complete answer wins and the other request is abandoned; a winning hedge is copied into the
 * caller's region only after the first request was abandoned, so two requests never write into the
 * caller's buffer at once. The attempt fails only when every request it started has failed (then
 * the {@link Retrier} decides about a retry as for an unhedged read).
 *
 * <p>At the deadline a read is hedged only if {@link Hedger#lateAmongPeers} says it is late among
 * its peers and the budget allows; otherwise it is looked at again a quarter of a deadline later
 * (at least 10 ms), and so on until it is answered.
 *
 * <p>The scratch buffer is a heap array of one read's length, allocated only for a hedge (at most
 * the policy's fraction of reads).
 *
 * <p>The attempt completes with the CRC-32C of the range as the winning request computed it while
 * receiving (see {@link RangeSink}), or {@link ReadReport#NO_CRC} when not asked for one.
 */
final class HedgedRead implements Retrier.Attempt<Long> {

    /** Starts one request that fills {@code sink}. */
    @FunctionalInterface
    interface Request {
        CompletableFuture<Long> start(RangeSink sink);
    }

    private final ByteBuffer dst;
    private final int start;
    private final int length;
    private final long offset;
    private final Retrier.Progress progress;
    private final Request request;
    private final Hedger hedger;
    private final Runnable onHedge;
    private final boolean checksum;
    private final CompletableFuture<Long> result = new CompletableFuture<>();
    private final long startedNanos;
    private final long deadline;
    private final ScheduledExecutorService timers;

    private Leg first;
    private Leg hedge;
    private int running;
    private boolean abandoned;
    private ScheduledFuture<?> timer;

    private record Leg(RangeSink sink, CompletableFuture<Long> sdk, ByteBuffer scratch, long startNanos) {
        void abandon() {
            // cancel the SDK's future first: the client stops the transfer only when it sees a
            // cancellation, not when the body's consumer fails first
            sdk.cancel(false);
            sink.abandon();
        }
    }

    private HedgedRead(ByteBuffer dst, int start, int length, long offset, Retrier.Progress progress,
            Request request, Hedger hedger, Runnable onHedge, boolean checksum, ScheduledExecutorService timers) {
        this.timers = timers;
        this.startedNanos = hedger.readStarted();
        this.deadline = hedger.deadlineNanos();
        result.whenComplete((v, e) -> hedger.ended());
        this.onHedge = onHedge;
        this.checksum = checksum;
        this.dst = dst;
        this.start = start;
        this.length = length;
        this.offset = offset;
        this.progress = progress;
        this.request = request;
        this.hedger = hedger;
    }

    /**
     * Starts the first request and, if the hedger has a deadline, schedules the hedge on {@code timers}.
     *
     * @param dst the caller's buffer; bytes go to {@code [start, start + length)}
     * @param offset offset in the object of the first byte
     * @param onStart runs now, once (the caller counts attempts)
     * @param onHedge runs if a hedge is sent
     * @param checksum whether the requests compute the CRC-32C of what they receive
     */
    static HedgedRead start(ByteBuffer dst, int start, int length, long offset, Retrier.Progress progress,
            Runnable onStart, Runnable onHedge, Request request, Hedger hedger, ScheduledExecutorService timers,
            boolean checksum) {
        onStart.run();
        HedgedRead read = new HedgedRead(dst, start, length, offset, progress, request, hedger, onHedge, checksum,
                timers);
        synchronized (read) {
            read.first = read.launch(new RangeSink(dst, start, length, offset, progress, checksum), null);
            read.armTimer(read.deadline);
        }
        return read;
    }

    /** Looks at a late read again after this fraction of the deadline (at least {@link #MIN_RECHECK_NANOS}). */
    private static final int RECHECKS_PER_DEADLINE = 4;
    private static final long MIN_RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    /** Schedules a look at this read after {@code delay}, if hedging is on and it is unanswered. */
    private void armTimer(long delay) {
        if (deadline >= 0 && !result.isDone() && !abandoned) {
            try {
                timer = timers.schedule(this::hedgeIfLate, delay, TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException closing) {
                // the store is closing: no hedge, the first request decides
            }
        }
    }

    /** Whether a hedge was sent for this attempt. */
    synchronized boolean hedged() {
        return hedge != null;
    }

    @Override
    public CompletableFuture<Long> future() {
        return result;
    }

    @Override
    public void abandon() {
        Leg a;
        Leg b;
        synchronized (this) {
            abandoned = true;
            a = first;
            b = hedge;
            if (timer != null) {
                timer.cancel(false);
            }
        }
        if (a != null) {
            a.abandon();
        }
        if (b != null) {
            b.abandon();
        }
        result.completeExceptionally(new java.io.IOException("attempt abandoned"));
    }

    private Leg launch(RangeSink sink, ByteBuffer scratch) {
        running++;
        long t0 = System.nanoTime();
        CompletableFuture<Long> sdk;
        try {
            sdk = request.start(sink);
        } catch (RuntimeException e) {
            sdk = CompletableFuture.failedFuture(e);
        }
        Leg leg = new Leg(sink, sdk, scratch, t0);
        sdk.whenComplete((n, failure) -> {
            if (failure == null) {
                won(leg);
            } else {
                lost(failure);
            }
        });
        return leg;
    }

    private void hedgeIfLate() {
        synchronized (this) {
            if (abandoned || result.isDone() || hedge != null) {
                return;
            }
            if (!hedger.lateAmongPeers(startedNanos) || !hedger.tryHedge()) {
                // every read is slow alike, or the budget is spent: look again soon rather than add load now
                armTimer(Math.max(MIN_RECHECK_NANOS, deadline / RECHECKS_PER_DEADLINE));
                return;
            }
            ByteBuffer scratch = ByteBuffer.allocate(length);
            hedge = launch(new RangeSink(scratch, 0, length, offset, progress, checksum), scratch);
        }
        onHedge.run();
    }

    private void won(Leg leg) {
        Leg other;
        synchronized (this) {
            if (abandoned || result.isDone()) {
                return;
            }
            other = leg == first ? hedge : first;
            if (timer != null) {
                timer.cancel(false);
            }
            // decided under the lock: no second winner, no hedge launched after this
            abandoned = true;
        }
        hedger.completed(startedNanos, System.nanoTime() - leg.startNanos());
        if (other != null) {
            other.abandon(); // once this returns it writes nothing more
        }
        if (leg.scratch() != null) {
            hedger.hedgeWon();
            ByteBuffer into = dst.duplicate();
            into.limit(start + length).position(start);
            into.put(leg.scratch().duplicate().clear());
        }
        result.complete(leg.sink().crc32c());
    }

    private void lost(Throwable failure) {
        synchronized (this) {
            running--;
            if (abandoned || result.isDone() || running > 0) {
                return; // the other request may still answer
            }
            abandoned = true; // decided: no hedge may start after this
            if (timer != null) {
                timer.cancel(false);
            }
        }
        result.completeExceptionally(failure);
    }
}
