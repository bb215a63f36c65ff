package dev.sluice.engine.device;

import dev.sluice.data.loader.LoaderState;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;

/**
 * Prepares the next batch on a thread of its own while the trainer steps on the current one. On a
 * CPU replica the {@link HostFeeder} converts uint8 to float32 on the thread that calls it; called
 * from the training thread, that conversion ran in series with every step (about a fifth of the
 * step in {@code bench train}). Wraps a feeder whose ring holds at least two batches: one the
 * trainer holds, one being prepared. The trainer must close each batch before asking for the next.
 *
 * <p>The stream is one batch ahead of the trainer, so its position is read on the preparing thread
 * right after each batch is taken, and {@link #position()} gives the one after the last batch
 * delivered: what a checkpoint must record.
 */
public final class PrefetchingFeeder implements Feeder {

    private final Feeder inner;
    private final Supplier<LoaderState> streamPosition;
    private final ExecutorService thread;
    private Future<Prepared> pending;
    private LoaderState position;
    private boolean closed;

    private record Prepared(DeviceBatch batch, LoaderState position) {}

    /**
     * Starts preparing the first batch at once.
     *
     * @param inner the feeder to read ahead (closed with this one)
     * @param streamPosition the stream's position after the batches it delivered so far; called
     *     only on the preparing thread
     */
    public PrefetchingFeeder(Feeder inner, Supplier<LoaderState> streamPosition) {
        this.inner = inner;
        this.streamPosition = streamPosition;
        this.position = streamPosition.get();
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "sluice-feeder");
            t.setDaemon(true);
            return t;
        });
        this.pending = thread.submit(this::prepare);
    }

    private Prepared prepare() throws IOException {
        DeviceBatch b = inner.next();
        return new Prepared(b, b == null ? null : streamPosition.get());
    }

    /**
     * The prepared batch, or null at the end of the epoch; starts preparing the one after. Its data
     * wait is the time this call waited (conversion that did not overlap the previous step included);
     * its host-to-device and transform times are 0, as they overlapped.
     */
    @Override
    public DeviceBatch next() throws IOException {
        if (closed) {
            throw new IllegalStateException("the feeder is closed");
        }
        if (pending == null) {
            return null;
        }
        long t0 = System.nanoTime();
        Prepared p = await(pending);
        long wait = System.nanoTime() - t0;
        if (p.batch() == null) {
            pending = null;
            return null;
        }
        position = p.position();
        pending = thread.submit(this::prepare);
        DeviceBatch b = p.batch();
        return new DeviceBatch(b.inputs(), b.labels(), b.size(), wait, () -> 0L, () -> 0L, b.manager(), b::close,
                b.firstSampleId());
    }

    /** The stream's position after the last batch {@link #next()} returned. */
    public LoaderState position() {
        return position;
    }

    private static Prepared await(Future<Prepared> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the next batch");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) {
                throw io;
            }
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new IOException("preparing the next batch failed", c);
        }
    }

    /**
     * Waits for the batch being prepared (it may be writing into the inner feeder's buffers), frees
     * it, stops the thread and closes the inner feeder. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (pending != null) {
                boolean interrupted = false;
                while (true) {
                    try {
                        Prepared p = pending.get();
                        if (p.batch() != null) {
                            p.batch().close();
                        }
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true;
                    } catch (ExecutionException e) {
                        // a batch read ahead that nobody asked for: the run ends without it, so its
                        // failure is not the run's (a failure the trainer waits for is thrown by next())
                        break;
                    }
                }
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        } finally {
            thread.shutdown();
            inner.close();
        }
    }
}
