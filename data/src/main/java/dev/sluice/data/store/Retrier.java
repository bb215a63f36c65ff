package dev.sluice.data.store;

import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs asynchronous attempts of one operation under a {@link RetryPolicy}: at most the policy's
 * attempts, each holding one of the store's {@link AsyncPermits} while it is in flight (not while
 * it backs off), an exponential backoff with jitter between attempts scheduled on a timer (no
 * thread sleeps), and an optional stall watchdog that abandons an attempt which makes no progress.
 *
 * <p>A failed attempt is always {@linkplain Attempt#abandon() abandoned} before the next one is
 * scheduled or the operation fails, so an attempt that writes into a caller's buffer can never
 * overlap with its successor.
 */
final class Retrier {

    private static final Logger LOG = LoggerFactory.getLogger(Retrier.class);

    /** Last time an attempt made progress; the stall watchdog reads it. */
    static final class Progress {
        private volatile long lastNanos = System.nanoTime();

        void touch() {
            lastNanos = System.nanoTime();
        }

        long idleNanos() {
            return System.nanoTime() - lastNanos;
        }
    }

    /** One started attempt. */
    interface Attempt<T> {
        /** Completes with the attempt's result or failure. */
        CompletableFuture<T> future();

        /** Stops the attempt; once this returns it has no further effect (writes nothing). */
        void abandon();
    }

    /** Starts attempts of an operation. */
    @FunctionalInterface
    interface Operation<T> {
        Attempt<T> start(Progress progress);
    }

    /** What a failure means for one operation. */
    interface Failures {
        /** Whether repeating the attempt may succeed. */
        boolean retryable(Throwable failure);

        /**
         * The exception the operation fails with.
         *
         * @param attempts attempts made
         * @param last the last failure (unwrapped)
         * @param exhausted true if it was retryable but no attempts are left
         */
        Throwable giveUp(int attempts, Throwable last, boolean exhausted);

        /**
         * Like {@link #giveUp(int, Throwable, boolean)}, also told the most recent failure of this
         * operation that was not {@link #silent} (null if every attempt went unanswered), so that a
         * run of throttled attempts whose last one stalled is not reported as a silent server.
         */
        default Throwable giveUp(int attempts, Throwable last, boolean exhausted, Throwable lastAnswered) {
            return giveUp(attempts, last, exhausted);
        }

        /** A one-line, credential-free summary of a failure for log lines. */
        String describe(Throwable failure);

        /**
         * Whether the failure means the server went silent (a stalled attempt, a connection closed
         * for moving no bytes): such retries are logged as warnings, not at debug level.
         */
        default boolean silent(Throwable failure) {
            return failure instanceof Stalled;
        }
    }

    /** An attempt made no progress for the stall timeout. */
    static final class Stalled extends IOException {
        private static final long serialVersionUID = 1L;

        Stalled(Duration idle) {
            super("no progress for " + idle.toMillis() + " ms (stall timeout); abandoned the attempt");
        }
    }

    /** The store was closed while the operation waited or was in flight. */
    static final class Closed extends IOException {
        private static final long serialVersionUID = 1L;

        Closed() {
            super("the store was closed while this operation was pending");
        }
    }

    /** Counts shared with the store's {@code stats()}; {@code failures} is counted by {@link Failures#giveUp}. */
    static final class Counters {
        final AtomicLong attempts = new AtomicLong();
        final AtomicLong retries = new AtomicLong();
        final AtomicLong failures = new AtomicLong();
    }

    private final RetryPolicy policy;
    private final AsyncPermits permits;
    private final ScheduledExecutorService timer;
    private final Counters counters;
    private final Set<Run<?>> active = ConcurrentHashMap.newKeySet();
    /** When the last "still waiting" warning went out: at most one per response timeout per store. */
    private final AtomicLong lastSlowWarning = new AtomicLong(System.nanoTime() - (1L << 62));
    private volatile boolean closed;

    Retrier(RetryPolicy policy, AsyncPermits permits, ScheduledExecutorService timer, Counters counters) {
        this.policy = policy;
        this.permits = permits;
        this.timer = timer;
        this.counters = counters;
    }

    RetryPolicy policy() {
        return policy;
    }

    /**
     * Fails every unfinished operation with {@link Closed} (abandoning attempts in flight) and refuses
     * new ones, so nobody waits for a retry that the closed timer would never run.
     */
    void close() {
        closed = true;
        for (Run<?> run : active) {
            run.failClosed();
        }
    }

    /**
     * Runs {@code operation} until an attempt succeeds or the policy gives up.
     *
     * @param description what the operation is, for log lines (must hold no credentials)
     * @param watchStalls whether to abandon attempts idle for the policy's stall timeout
     * @return the result; cancelling it abandons the attempt in flight and stops retrying
     */
    <T> CompletableFuture<T> run(String description, boolean watchStalls, Operation<T> operation, Failures failures) {
        Run<T> run = new Run<>(description, watchStalls, operation, failures);
        active.add(run);
        run.result.whenComplete((v, t) -> active.remove(run));
        if (closed) {
            run.failClosed(); // close() may have missed it
        } else {
            run.next();
        }
        return run.result;
    }

    /**
     * Whether a warning about a silent server may go out now: at most one per response timeout for
     * the whole store, so many requests to a dead server do not flood the log (the rest go to debug).
     */
    private boolean mayWarn() {
        long now = System.nanoTime();
        long last = lastSlowWarning.get();
        return now - last >= policy.responseTimeout().toNanos() && lastSlowWarning.compareAndSet(last, now);
    }

    /** Nanoseconds as seconds with one decimal, for log lines. */
    private static String seconds(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.1f", nanos / 1e9);
    }

    /** Unwraps the wrappers futures add around the failure that matters. */
    static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }

    private final class Run<T> {
        final CompletableFuture<T> result = new CompletableFuture<>();
        final String description;
        final boolean watchStalls;
        final Operation<T> operation;
        final Failures failures;
        volatile int attempt; // written by one step at a time; read by close()
        private Throwable lastAnswered; // the latest failure that was not silent; one step at a time
        volatile Attempt<T> current;

        Run(String description, boolean watchStalls, Operation<T> operation, Failures failures) {
            this.description = description;
            this.watchStalls = watchStalls;
            this.operation = operation;
            this.failures = failures;
            result.whenComplete((v, t) -> {
                if (result.isCancelled()) {
                    Attempt<T> a = current;
                    if (a != null) {
                        a.abandon();
                        a.future().cancel(false);
                    }
                }
            });
        }

        void next() {
            if (closed) {
                failClosed();
                return;
            }
            permits.acquire().thenRun(() -> {
                try {
                    startAttempt();
                } catch (RuntimeException | Error bug) {
                    // never leave the caller waiting on a future nobody will complete
                    result.completeExceptionally(bug);
                }
            });
        }

        void failClosed() {
            if (result.isDone()) {
                return;
            }
            Attempt<T> a = current;
            if (a != null) {
                a.abandon();
            }
            result.completeExceptionally(failures.giveUp(attempt, new Closed(), false));
        }

        private void startAttempt() {
            if (result.isDone()) {
                permits.release();
                return;
            }
            if (closed) {
                permits.release();
                failClosed();
                return;
            }
            attempt++;
            counters.attempts.incrementAndGet();
            Progress progress = new Progress();
            CompletableFuture<T> outcome = new CompletableFuture<>();
            Attempt<T> a;
            try {
                a = operation.start(progress);
            } catch (RuntimeException e) {
                permits.release();
                result.completeExceptionally(failures.giveUp(attempt, e, false));
                return;
            } catch (Error e) {
                // no attempt exists to give the permit back later: return it before passing the Error on
                permits.release();
                result.completeExceptionally(e);
                return;
            }
            current = a;
            a.future().whenComplete((v, t) -> {
                if (t == null) {
                    outcome.complete(v);
                } else {
                    outcome.completeExceptionally(t);
                }
            });
            AtomicReference<ScheduledFuture<?>> watchdog = new AtomicReference<>();
            ScheduledFuture<?> warning = null;
            if (watchStalls) {
                watch(outcome, progress, policy.stallTimeout().toNanos(), watchdog);
                warning = warnIfQuiet(outcome, progress, attempt);
            }
            ScheduledFuture<?> warned = warning;
            outcome.whenComplete((v, t) -> {
                if (warned != null) {
                    warned.cancel(false);
                }
                finished(a, v, t, watchdog.get());
            });
            if (result.isCancelled()) {
                a.abandon();
                a.future().cancel(false);
            }
        }

        /**
         * Says what is slow while it happens: once the attempt has been quiet for the response
         * timeout, one warning naming the operation and how long it has waited (at most one such
         * line per response timeout for the whole store, so a dead server does not flood the log).
         */
        private ScheduledFuture<?> warnIfQuiet(CompletableFuture<T> outcome, Progress progress, int attemptNumber) {
            long quietNanos = policy.responseTimeout().toNanos();
            try {
                return timer.schedule(() -> {
                    long idle = progress.idleNanos();
                    if (outcome.isDone() || idle < quietNanos) {
                        return;
                    }
                    if (!mayWarn()) {
                        return;
                    }
                    LOG.warn("{}: no answer from the server for {} s (attempt {} of {}); a connection silent for {} s"
                            + " is closed and retried, an attempt without progress for {} s is abandoned",
                            description, seconds(idle), attemptNumber, policy.maxAttempts(),
                            seconds(policy.responseTimeout().toNanos()), seconds(policy.stallTimeout().toNanos()));
                }, quietNanos, TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException closing) {
                return null; // the store is closing; close() fails the operation
            }
        }

        /** Fails {@code outcome} once it has been idle for the stall timeout; {@code handle} holds the live check. */
        private void watch(CompletableFuture<T> outcome, Progress progress, long delayNanos,
                AtomicReference<ScheduledFuture<?>> handle) {
            long stallNanos = policy.stallTimeout().toNanos();
            try {
                handle.set(timer.schedule(() -> {
                    if (outcome.isDone()) {
                        return;
                    }
                    long idle = progress.idleNanos();
                    if (idle >= stallNanos) {
                        outcome.completeExceptionally(new Stalled(Duration.ofNanos(idle)));
                    } else {
                        // progress was made since: look again when the quiet period could be over
                        watch(outcome, progress, stallNanos - idle, handle);
                    }
                }, delayNanos, TimeUnit.NANOSECONDS));
            } catch (RejectedExecutionException closed) {
                // the store is closing; close() fails the operation
            }
        }

        private void finished(Attempt<T> a, T value, Throwable failure, ScheduledFuture<?> watchdog) {
            if (watchdog != null) {
                watchdog.cancel(false);
            }
            if (failure != null) {
                // before anything else: a successor must never overlap with this attempt
                a.abandon();
                a.future().cancel(false);
            }
            permits.release();
            if (failure == null) {
                result.complete(value);
                return;
            }
            if (result.isDone()) {
                return;
            }
            Throwable cause = unwrap(failure);
            try {
                if (closed) {
                    failClosed();
                    return;
                }
                if (cause instanceof CancellationException || !failures.retryable(cause)) {
                    result.completeExceptionally(failures.giveUp(attempt, cause, false));
                    return;
                }
                if (!failures.silent(cause)) {
                    lastAnswered = cause;
                }
                if (attempt >= policy.maxAttempts()) {
                    result.completeExceptionally(failures.giveUp(attempt, cause, true, lastAnswered));
                    return;
                }
                Duration delay = policy.backoff(attempt, ThreadLocalRandom.current().nextDouble());
                counters.retries.incrementAndGet();
                if (failures.silent(cause) && mayWarn()) {
                    LOG.warn("{}: attempt {}/{} got no answer ({}); retrying in {} ms", description, attempt,
                            policy.maxAttempts(), failures.describe(cause), delay.toMillis());
                } else if (LOG.isDebugEnabled()) {
                    LOG.debug("{}: attempt {}/{} failed ({}); retrying in {} ms", description, attempt,
                            policy.maxAttempts(), failures.describe(cause), delay.toMillis());
                }
                timer.schedule(this::next, delay.toNanos(), TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException closed) {
                result.completeExceptionally(failures.giveUp(attempt, cause, false));
            } catch (RuntimeException | Error bug) {
                result.completeExceptionally(bug);
            }
        }
    }
}
