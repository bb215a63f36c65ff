package dev.sluice.data.store;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Back-off per key prefix. S3 limits request rates per prefix (about 5,500 GET/s), so a 503
 * SlowDown says that one prefix is too busy, not the whole bucket: only requests to that prefix
 * slow down, and requests to other prefixes go on at full speed.
 *
 * <p>Each prefix has a gate that every attempt passes before it takes one of the store's permits
 * (so requests waiting on a throttled prefix hold no permit another prefix could use). A gate
 * is open until its prefix is throttled; then it admits at most {@code limit} attempts at once,
 * additive increase / multiplicative decrease: a throttled answer halves the limit (at least 1) and pauses the prefix for the retry policy's
 * backoff, growing with throttles (a success steps it back down by one); {@code limit} answers in a row without throttling
 * raise it by one; at the store's concurrency the gate is open again.
 *
 * <p>The prefix of a key is everything up to its last {@code /} (the "directory"), or the key itself.
 */
final class PrefixGates {

    private static final int UNLIMITED = Integer.MAX_VALUE;

    private final int max;
    private final RetryPolicy policy;
    private final ScheduledExecutorService timer;
    private final ConcurrentHashMap<String, Gate> gates = new ConcurrentHashMap<>();
    private final AtomicLong throttles = new AtomicLong();
    private final AtomicLong waits = new AtomicLong();

    PrefixGates(int max, RetryPolicy policy, ScheduledExecutorService timer) {
        this.max = max;
        this.policy = policy;
        this.timer = timer;
    }

    /** The prefix S3 would partition {@code objectKey} by, as this store approximates it. */
    static String prefixOf(String objectKey) {
        int slash = objectKey.lastIndexOf('/');
        return slash < 0 ? objectKey : objectKey.substring(0, slash + 1);
    }

    /** The gate for {@code objectKey}'s prefix. */
    Gate gate(String objectKey) {
        return gates.computeIfAbsent(prefixOf(objectKey), p -> new Gate());
    }

    /** Throttled answers seen, all prefixes. */
    long throttles() {
        return throttles.get();
    }

    /** Attempts that had to wait at a gate, all prefixes. */
    long waits() {
        return waits.get();
    }

    /** One prefix's limit on attempts in flight. */
    final class Gate implements Retrier.Gate {
        private final ArrayDeque<CompletableFuture<Void>> waiters = new ArrayDeque<>();
        // open (no limit of its own: the store's permits bound it) until the prefix is throttled
        private int limit = UNLIMITED;
        private int inFlight;
        private int consecutiveThrottles;
        private int calm;
        private long pausedUntil = System.nanoTime();
        private boolean wakeScheduled;
        private long throttled;
        private long waited;
        private int lowestLimit = max;

        @Override
        public CompletableFuture<Void> acquire() {
            CompletableFuture<Void> w;
            synchronized (this) {
                if (waiters.isEmpty() && inFlight < limit && System.nanoTime() >= pausedUntil) {
                    inFlight++;
                    return CompletableFuture.completedFuture(null);
                }
                w = new CompletableFuture<>();
                waiters.add(w);
                waited++;
                waits.incrementAndGet();
            }
            drain();
            return w;
        }

        @Override
        public boolean recheck() {
            synchronized (this) {
                if (inFlight <= limit && System.nanoTime() >= pausedUntil) {
                    return true;
                }
                inFlight--; // taken back: the attempt waits at the gate again
                waited++;
                waits.incrementAndGet();
                return false;
            }
        }

        @Override
        public void release(boolean wasThrottled) {
            synchronized (this) {
                inFlight--;
                if (wasThrottled) {
                    throttles.incrementAndGet();
                    throttled++;
                    calm = 0;
                    // many attempts in flight fail together: one cut per pause, not one per answer
                    if (System.nanoTime() >= pausedUntil) {
                        consecutiveThrottles++;
                        limit = Math.max(1, Math.min(limit, Math.max(max, inFlight + 1)) / 2);
                        lowestLimit = Math.min(lowestLimit, limit);
                        long pause = policy.backoff(consecutiveThrottles, ThreadLocalRandom.current().nextDouble())
                                .toNanos();
                        pausedUntil = System.nanoTime() + pause;
                    }
                } else {
                    // step down, not reset: the next throttle pauses nearly as long as the last, so a
                    // prefix held at its rate limit settles at about one throttle per success
                    consecutiveThrottles = Math.max(0, consecutiveThrottles - 1);
                    if (limit != UNLIMITED && ++calm >= limit) {
                        limit = limit + 1 >= max ? UNLIMITED : limit + 1; // back to full speed: open again
                        calm = 0;
                    }
                }
            }
            drain();
        }

        /** Admits waiters while the gate allows; if paused, looks again when the pause ends. */
        private void drain() {
            while (true) {
                CompletableFuture<Void> next;
                synchronized (this) {
                    if (waiters.isEmpty() || inFlight >= limit) {
                        return;
                    }
                    long wait = pausedUntil - System.nanoTime();
                    if (wait > 0) {
                        if (!wakeScheduled) {
                            wakeScheduled = true;
                            try {
                                timer.schedule(this::wake, wait, TimeUnit.NANOSECONDS);
                            } catch (RejectedExecutionException closing) {
                                wakeScheduled = false; // the store is closing; close() fails what waits
                            }
                        }
                        return;
                    }
                    next = waiters.poll();
                    inFlight++;
                }
                next.complete(null); // outside the lock: the waiter starts its request on this thread
            }
        }

        private void wake() {
            synchronized (this) {
                wakeScheduled = false;
            }
            drain();
        }

        /** Throttled answers seen on this prefix. */
        synchronized long throttled() {
            return throttled;
        }

        /** Attempts that waited at this gate. */
        synchronized long waited() {
            return waited;
        }

        /** The lowest limit this gate has had. */
        synchronized int lowestLimit() {
            return lowestLimit;
        }
    }
}
