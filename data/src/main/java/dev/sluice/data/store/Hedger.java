package dev.sluice.data.store;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Decides when a read is late enough to hedge and whether the budget allows it (see
 * {@link HedgePolicy}); counts reads, hedges and hedges that won.
 *
 * <p>Past its deadline a read is hedged only if it is late <i>relative to its peers</i>: a read
 * started at least a median latency after it has already completed (it was overtaken; reads
 * started together, such as the parts of one shard, finish in any order), or no other read is in
 * flight. When
 * every read in flight is slow together (the client's own CPU or link saturated, a GC pause), a
 * second request would join the same queue and only add load; when one read is stuck while later
 * ones finish, the delay is that request's, and a fresh one is likely to beat it.
 */
final class Hedger {

    private final HedgePolicy policy;
    private final LatencyWindow latencies = new LatencyWindow(512);
    private final AtomicLong reads = new AtomicLong();
    private final AtomicLong hedges = new AtomicLong();
    private final AtomicLong hedgeWins = new AtomicLong();
    private final AtomicLong inFlight = new AtomicLong();
    /** Hedges the budget allows now, and the reads started when it was last topped up. */
    private double credit;
    private long creditedReads;

    /** The budget holds at most the hedges of this many reads (5 at the default 5%). */
    static final int BURST_READS = 100;
    /** The latest start ({@link System#nanoTime}) among reads that completed. */
    private final AtomicLong newestCompleted = new AtomicLong(Long.MIN_VALUE);

    Hedger(HedgePolicy policy) {
        this.policy = policy;
    }

    /**
     * Counts a read request started now (first requests only, not hedges); returns its start time
     * ({@link System#nanoTime}) for {@link #completed} and {@link #lateAmongPeers}. Each call is
     * matched by one {@link #ended}.
     */
    long readStarted() {
        return readStarted(System.nanoTime());
    }

    /** As {@link #readStarted()}, started at {@code startNanos}. */
    long readStarted(long startNanos) {
        inFlight.incrementAndGet();
        reads.incrementAndGet();
        return startNanos;
    }

    /** The read started at {@code started} completed, its winning request after {@code nanos}. */
    void completed(long started, long nanos) {
        latencies.record(nanos);
        newestCompleted.accumulateAndGet(started, Math::max);
    }

    /** The read ended: completed, failed or abandoned. */
    void ended() {
        inFlight.decrementAndGet();
    }

    /**
     * Whether the read started at {@code started}, past its deadline, is late among its peers: a
     * read started at least the median latency after it has completed, or it is the only read in
     * flight.
     */
    boolean lateAmongPeers(long started) {
        long newest = newestCompleted.get();
        return inFlight.get() <= 1
                || newest != Long.MIN_VALUE && newest - started >= Math.max(0, latencies.p50());
    }

    /** How long to wait before hedging a read started now, or -1: hedging off or too few samples yet. */
    long deadlineNanos() {
        if (!policy.enabled() || latencies.count() < policy.minSamples()) {
            return -1;
        }
        long p95 = latencies.p95();
        return p95 < 0 ? -1 : Math.max(policy.floor().toNanos(), (long) (policy.multiplier() * p95));
    }

    /**
     * Takes one hedge from the budget. The budget grows by the policy's fraction with each read
     * started but never holds more than the hedges of {@link #BURST_READS} reads, so hedges stay
     * within the fraction of reads started, and a long spell without hedges does not bank a burst
     * that would multiply the load at the first slow moment.
     */
    synchronized boolean tryHedge() {
        long started = reads.get();
        credit = Math.min(policy.maxFraction() * BURST_READS,
                credit + policy.maxFraction() * (started - creditedReads));
        creditedReads = started;
        if (credit < 1) {
            return false;
        }
        credit -= 1;
        hedges.incrementAndGet();
        return true;
    }

    /** The hedge answered first. */
    void hedgeWon() {
        hedgeWins.incrementAndGet();
    }

    long hedges() {
        return hedges.get();
    }

    long hedgeWins() {
        return hedgeWins.get();
    }

    long reads() {
        return reads.get();
    }
}
