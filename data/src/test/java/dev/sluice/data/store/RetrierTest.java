package dev.sluice.data.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link Retrier} with operations that fail while they start: the permit always comes back. */
class RetrierTest {

    private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);
    private final AsyncPermits permits = new AsyncPermits(1);
    private final Retrier retrier = new Retrier(new RetryPolicy(3, Duration.ZERO, Duration.ZERO,
            Duration.ofSeconds(10)), permits, timer, new Retrier.Counters());

    @AfterEach
    void stop() {
        retrier.close();
        timer.shutdownNow();
    }

    private static final Retrier.Failures FAILURES = new Retrier.Failures() {
        @Override
        public boolean retryable(Throwable failure) {
            return false;
        }

        @Override
        public Throwable giveUp(int attempts, Throwable last, boolean exhausted) {
            return new IOException("gave up after " + attempts, last);
        }

        @Override
        public String describe(Throwable failure) {
            return String.valueOf(failure);
        }
    };

    @Test
    void anErrorThrownWhileStartingAnAttemptFailsTheOperationAndReturnsItsPermit() throws Exception {
        Error boom = new Error("cannot start");
        CompletableFuture<String> failed = retrier.run("op", false, progress -> {
            throw boom;
        }, FAILURES);
        ExecutionException e = assertThrows(ExecutionException.class, () -> failed.get(10, TimeUnit.SECONDS));
        assertSame(boom, e.getCause(), "the Error itself, not a wrapped give-up");
        assertEquals(0, permits.inUse(), "the only permit was given back");

        // with one permit, this runs only if the failed start gave it back
        CompletableFuture<String> next = retrier.run("op 2", false, progress -> new Retrier.Attempt<>() {
            @Override
            public CompletableFuture<String> future() {
                return CompletableFuture.completedFuture("ran");
            }

            @Override
            public void abandon() {}
        }, FAILURES);
        assertEquals("ran", next.get(10, TimeUnit.SECONDS));
        assertEquals(0, permits.inUse());
    }

    @Test
    void aRuntimeExceptionWhileStartingGivesUpThroughTheFailuresAndReturnsThePermit() throws Exception {
        CompletableFuture<String> failed = retrier.run("op", false, progress -> {
            throw new IllegalStateException("bad request");
        }, FAILURES);
        ExecutionException e = assertThrows(ExecutionException.class, () -> failed.get(10, TimeUnit.SECONDS));
        assertEquals("gave up after 1", e.getCause().getMessage());
        assertEquals(0, permits.inUse());
    }

    /** A throttled answer and a stalled one, as S3Store tells them apart. */
    static final class Throttled extends IOException {
        Throttled(String m) {
            super(m);
        }
    }

    @Test
    void exhaustionAfterAnsweredFailuresIsToldTheLastAnsweredOneEvenIfTheLastAttemptWasSilent() throws Exception {
        // attempts 1 and 2 are throttled, attempt 3 (the last) goes unanswered
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        java.util.List<Throwable> told = new java.util.ArrayList<>();
        Retrier.Failures failures = new Retrier.Failures() {
            @Override
            public boolean retryable(Throwable failure) {
                return true;
            }

            @Override
            public boolean silent(Throwable failure) {
                return !(failure instanceof Throttled);
            }

            @Override
            public Throwable giveUp(int attempts, Throwable last, boolean exhausted) {
                throw new AssertionError("the four-argument giveUp is the one an exhausted operation calls");
            }

            @Override
            public Throwable giveUp(int attempts, Throwable last, boolean exhausted, Throwable lastAnswered) {
                told.add(last);
                told.add(lastAnswered);
                return new IOException("gave up after " + attempts);
            }

            @Override
            public String describe(Throwable failure) {
                return String.valueOf(failure);
            }
        };
        CompletableFuture<String> failed = retrier.run("op", false, progress -> new Retrier.Attempt<>() {
            final int k = n.incrementAndGet();

            @Override
            public CompletableFuture<String> future() {
                return CompletableFuture.failedFuture(k < 3 ? new Throttled("SlowDown " + k) : new IOException("no answer"));
            }

            @Override
            public void abandon() {}
        }, failures);
        ExecutionException e = assertThrows(ExecutionException.class, () -> failed.get(10, TimeUnit.SECONDS));
        assertEquals("gave up after 3", e.getCause().getMessage());
        assertEquals("no answer", told.get(0).getMessage(), "last: the silent attempt");
        assertEquals("SlowDown 2", told.get(1).getMessage(), "last answered: the second throttled attempt");
    }
}
