package dev.sluice.data.store;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Decides when a read is late enough to hedge and whether the budget allows it (see
 * {@link HedgePolicy}); counts reads, hedges and hedges that won.
 */
final class Hedger {

    private final HedgePolicy policy;
    private final LatencyWindow latencies = new LatencyWindow(512);
    private final AtomicLong reads = new AtomicLong();
    private final AtomicLong hedges = new AtomicLong();
    private final AtomicLong hedgeWins = new AtomicLong();

    Hedger(HedgePolicy policy) {
        this.policy = policy;
    }

    /** Counts a read request started (first requests only, not hedges). */
    void readStarted() {
        reads.incrementAndGet();
    }

    /** A completed request's latency, from its own start. */
    void completed(long nanos) {
        latencies.record(nanos);
    }

    /** How long to wait before hedging a read started now, or -1: hedging off or too few samples yet. */
    long deadlineNanos() {
        if (!policy.enabled() || latencies.count() < policy.minSamples()) {
            return -1;
        }
        long p95 = latencies.p95();
        return p95 < 0 ? -1 : Math.max(policy.floor().toNanos(), (long) (policy.multiplier() * p95));
    }

    /** Takes one hedge from the budget if hedges stay within the policy's fraction of reads started. */
    boolean tryHedge() {
        while (true) {
            long h = hedges.get();
            if (h + 1 > policy.maxFraction() * reads.get()) {
                return false;
            }
            if (hedges.compareAndSet(h, h + 1)) {
                return true;
            }
        }
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
