package dev.sluice.data.store;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;

/**
 * A counting limit on requests in flight that never blocks a thread: {@link #acquire()} returns a
 * future that completes when a permit is free. Waiters are served in arrival order.
 */
final class AsyncPermits {

    private static final CompletableFuture<Void> GRANTED = CompletableFuture.completedFuture(null);

    private final int max;
    private final ArrayDeque<CompletableFuture<Void>> waiters = new ArrayDeque<>();
    private int inUse;

    AsyncPermits(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("need at least one permit, got " + max);
        }
        this.max = max;
    }

    /** A future that completes once the caller holds a permit; pair it with one {@link #release()}. */
    CompletableFuture<Void> acquire() {
        synchronized (this) {
            if (inUse < max) {
                inUse++;
                return GRANTED;
            }
            CompletableFuture<Void> waiter = new CompletableFuture<>();
            waiters.add(waiter);
            return waiter;
        }
    }

    /** Returns a permit, handing it straight to the oldest waiter if there is one. */
    void release() {
        CompletableFuture<Void> next;
        synchronized (this) {
            next = waiters.poll();
            if (next == null) {
                if (inUse == 0) {
                    throw new IllegalStateException("release() without a matching acquire()");
                }
                inUse--;
                return;
            }
        }
        // completed outside the lock: the waiter's continuation starts its request on this thread
        next.complete(null);
    }

    /** Permits held now (for tests and metrics). */
    synchronized int inUse() {
        return inUse;
    }

    /** Callers waiting for a permit now. */
    synchronized int waiting() {
        return waiters.size();
    }
}
