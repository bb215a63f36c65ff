package dev.sluice.engine.train;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Turns SIGTERM/Ctrl-C into "checkpoint at the next step boundary and stop": a shutdown hook sets
 * the flag and holds the JVM until the trainer says it has finished (bounded).
 */
final class StopSignal implements AutoCloseable {

    private final AtomicBoolean requested = new AtomicBoolean();
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Thread hook;

    private StopSignal(boolean install) {
        this.hook = install ? new Thread(this::onSignal, "sluice-stop") : null;
        if (hook != null) {
            Runtime.getRuntime().addShutdownHook(hook);
        }
    }

    /** A signal handler for the process. */
    static StopSignal install() {
        return new StopSignal(true);
    }

    /** A flag without a handler (embedding, tests). */
    static StopSignal manual() {
        return new StopSignal(false);
    }

    private void onSignal() {
        requested.set(true);
        try {
            // long enough to write a checkpoint of a large model to a slow store
            finished.await(120, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    void request() {
        requested.set(true);
    }

    boolean requested() {
        return requested.get();
    }

    @Override
    public void close() {
        finished.countDown();
        if (hook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it is waiting for the countDown above
            }
        }
    }
}
