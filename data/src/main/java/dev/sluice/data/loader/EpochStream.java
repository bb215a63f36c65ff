package dev.sluice.data.loader;

import dev.sluice.data.format.ShardView;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;

/**
 * The batches of one epoch for one rank, produced by a background assembler thread. Not
 * thread-safe: one consumer calls {@link #next()}.
 */
public final class EpochStream implements AutoCloseable {

    private static final Object END = new Object();

    private final Loader loader;
    private final LoaderState start;
    private final int world;
    private final long plannedSamples;
    private final long skipped;
    // bounded by the pool: at most every pooled batch plus the end marker or an error, so nothing is
    // allocated per batch
    private final BlockingQueue<Object> ready;
    private final ShardFetcher.Session session;
    private final Thread assembler;
    private long deliveredSamples;
    // high-water marks of the shuffle buffer, written by the assembler (tests check the memory bound)
    private volatile long peakOpenSamples;
    private volatile int peakOpenRuns;
    private boolean finished;
    private boolean closed;
    // decode stage: completes when every batch handed to the decode pool so far has been delivered
    private volatile CompletableFuture<Void> decodeTail = CompletableFuture.completedFuture(null);
    // decode stage: runs whose slab release waited for the batch being gathered, and runs whose
    // values that batch copied into staging instead (written by the assembler; tests read them)
    private volatile int deferredRuns;
    private volatile int spilledRuns;
    // set once the stream has failed (the error is queued for the consumer); nothing is delivered after
    private volatile boolean failed;

    /**
     * @param cursor where the plan stands for this rank at {@code state}
     * @param session the fetch session already started for the cursor's runs
     */
    EpochStream(Loader loader, EpochPlan plan, LoaderState state, EpochPlan.Cursor cursor,
                ShardFetcher.Session session) {
        this.loader = loader;
        this.ready = new ArrayBlockingQueue<>(loader.pool().depth() + 1);
        this.start = state;
        LoaderConfig cfg = loader.config();
        this.world = cfg.worldSize();
        EpochPlan.Cursor c = cursor;
        List<Run> runs = c.plan().runs();
        SampleMixer mixer = c.mixer();
        this.skipped = c.skipped();
        this.plannedSamples = c.left();
        this.peakOpenSamples = mixer.openSamples();
        this.peakOpenRuns = mixer.openRuns();
        this.session = session;
        this.assembler = new Thread(() -> assemble(plan, runs, mixer), "sluice-assembler-r" + cfg.rank());
        this.assembler.setDaemon(true);
        this.assembler.start();
    }

    /**
     * The assembler: draws samples in the epoch's order and copies their fixed fields into pooled
     * batches. With a decode stage, the encoded image values are not copied: the decode threads read
     * them where they lie in the shards' slabs. Each full batch goes to the decode pool, and the next
     * batch is gathered while it decodes. Batches are delivered in order, each once its own decoding
     * and every earlier batch's delivery are done.
     *
     * <p>So a run's slab cannot go back when its last sample is drawn: the batches reading it may not
     * be decoded yet. Its release is held back until the batch being gathered (which holds that last
     * sample) has been delivered. A batch being gathered may hold back at most
     * {@link #deferrable} slabs, so that a slab is always left for the next run it needs and it never
     * waits on itself. Past that, the batch's values from the closing run are copied into its staging
     * buffer, and the slab goes back once the batches already handed to the decode pool are delivered.
     * (Compressed images are decompressed into staging as they are drawn: their slab goes back at once.)
     */
    private void assemble(EpochPlan plan, List<Run> runs, SampleMixer mixer) {
        DecodeStage decode = loader.decode(); // null without a decode stage
        long seed = loader.config().seed();
        long epoch = start.epoch();
        HostBatch cur = null;
        long batchIndex = 0;
        int[] fieldIndex = loader.fieldIndex();
        int imageSlot = decode == null ? -1 : loader.fields().indexOf(loader.fields().stream()
                .filter(f -> f.name().equals(decode.stage().field())).findFirst().orElseThrow());
        int deferrable = decode == null ? 0 : deferrable(loader.fetcher().slabCount(), loader.config());
        long[] step = new long[fieldIndex.length];
        for (int f = 0; f < step.length; f++) {
            step[f] = loader.fields().get(f).sampleBytes();
        }
        try {
            while (mixer.hasNext() && !failed) {
                mixer.next();
                if (mixer.openSamples() > peakOpenSamples) {
                    peakOpenSamples = mixer.openSamples();
                }
                if (mixer.openRuns() > peakOpenRuns) {
                    peakOpenRuns = mixer.openRuns();
                }
                int runNo = mixer.lastRun();
                int local = mixer.lastLocal();
                ShardView view = session.await(runNo);
                if (cur == null) {
                    cur = loader.pool().acquire(batchIndex++);
                    if (decode != null) {
                        cur.ensureDecodeSlots(deferrable);
                    }
                }
                int shard = runs.get(runNo).shard();
                int slot = cur.slot(plan.sampleId(shard, local));
                for (int f = 0; f < fieldIndex.length; f++) {
                    if (f != imageSlot) {
                        view.copy(fieldIndex[f], local, cur.raw()[f], (int) (slot * step[f]));
                    }
                }
                if (decode != null) {
                    cur.shards[slot] = loader.shards().get(shard);
                    cur.locals[slot] = local;
                    cur.place(slot, view, fieldIndex[imageSlot], local, runNo);
                }
                int closed = mixer.closedRun();
                if (closed >= 0) {
                    // the run of the sample just drawn: view is its shard's. Compressed images were
                    // decompressed into staging, so no decoder reads that slab
                    if (decode == null || view.index().compressed(fieldIndex[imageSlot])) {
                        session.release(closed);
                    } else if (cur.defer(closed)) {
                        deferredRuns++;
                    } else {
                        cur.spill(closed);
                        spilledRuns++;
                        releaseAfterDispatched(closed);
                    }
                }
                if (cur.full()) {
                    hand(decode, cur, seed, epoch, true);
                    cur = null;
                }
            }
            if (cur != null) {
                hand(decode, cur, seed, epoch, !loader.config().dropLast());
                cur = null;
            }
            decodeTail.join();
            if (!failed) {
                ready.put(END);
            }
        } catch (InterruptedException e) {
            // the stream was closed early
        } catch (IOException | RuntimeException | Error e) {
            // an Error too (a native library that does not load, ...): the consumer must not wait forever
            decodeTail.handle((v, err) -> null).join();
            fail(e);
        } finally {
            if (cur != null) {
                cur.close();
            }
        }
    }

    /** A gathered batch goes to the decode pool, or straight to the consumer without a decode stage. */
    private void hand(DecodeStage decode, HostBatch b, long seed, long epoch, boolean keep)
            throws InterruptedException {
        if (decode != null) {
            dispatch(decode, b, seed, epoch, keep);
        } else if (keep) {
            b.seal();
            ready.put(b);
        } else {
            b.close();
        }
    }

    private void dispatch(DecodeStage decode, HostBatch b, long seed, long epoch, boolean keep) {
        CompletableFuture<Void> decoded = keep ? decode.submit(b, seed, epoch) : CompletableFuture.completedFuture(null);
        decodeTail = decodeTail.thenCombine(decoded, (x, y) -> null).thenRun(() -> deliver(b, keep));
    }

    /**
     * Slabs a batch being gathered may keep from going back: all of them but one for each run the
     * shuffle keeps open, and one for the next run to open.
     */
    static int deferrable(int slabs, LoaderConfig cfg) {
        int open = cfg.shuffle() ? cfg.window() : 1;
        return Math.max(0, slabs - open - 1);
    }

    /** Hands run {@code run}'s slab back once every batch handed to the decode pool so far is delivered. */
    private void releaseAfterDispatched(int run) {
        decodeTail = decodeTail.thenRun(() -> {
            try {
                session.release(run);
            } catch (RuntimeException | Error e) {
                fail(e);
            }
        });
    }

    /** Runs on a decode thread once {@code b} and all earlier batches are done; never throws. */
    private void deliver(HostBatch b, boolean keep) {
        try {
            // b is decoded and every batch before it delivered: nothing reads these runs' slabs any more
            for (int i = 0; i < b.deferredCount; i++) {
                session.release(b.deferred[i]);
            }
            b.deferredCount = 0;
            if (failed || !keep || b.failure != null) {
                if (b.failure != null && !failed) {
                    fail(b.failure);
                }
                b.close();
                return;
            }
            b.compact();
            b.seal();
            ready.add(b);
        } catch (RuntimeException | Error e) {
            b.close();
            fail(e);
        }
    }

    private synchronized void fail(Throwable e) {
        if (failed) {
            return;
        }
        failed = true;
        ready.add(e instanceof IOException || e instanceof RuntimeException || e instanceof Error ? e
                : new LoaderException("decoding a batch failed: " + e, e));
    }

    /**
     * The next batch, or null at the end of the epoch. Blocks while the loader is behind; that time
     * is counted as data wait in the loader's metrics.
     *
     * @throws IOException the store or format error that stopped the loader (naming shard and key)
     */
    public HostBatch next() throws IOException {
        if (finished) {
            return null;
        }
        long t0 = System.nanoTime();
        Object o;
        try {
            o = ready.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting for a batch");
        }
        if (o == END) {
            finished = true;
            return null;
        }
        if (o instanceof IOException e) {
            finished = true;
            throw e;
        }
        if (o instanceof RuntimeException e) {
            finished = true;
            throw e;
        }
        if (o instanceof Error e) {
            finished = true;
            throw e;
        }
        HostBatch b = (HostBatch) o;
        deliveredSamples += b.drawn();
        loader.metrics().delivered(b.size(), System.nanoTime() - t0);
        return b;
    }

    ShardFetcher.Session session() {
        return session;
    }

    /** Fields of each batch, in buffer order. */
    public java.util.List<dev.sluice.data.format.FieldSpec> fields() {
        return loader.fields();
    }

    /**
     * Samples this rank draws in this stream (after a resume: what is left). With
     * {@link LoaderConfig#dropLast()} only {@code plannedSamples() / batchSize} full batches of them
     * are delivered.
     */
    public long plannedSamples() {
        return plannedSamples;
    }

    /** Samples skipped because the state said they were already consumed. */
    public long skippedSamples() {
        return skipped;
    }

    /**
     * The loader state after every batch delivered so far, assuming all ranks delivered as many
     * (they step in lockstep).
     */
    public LoaderState state() {
        return start.advance(world, deliveredSamples * world);
    }

    /** Most samples the shuffle buffer held at once so far (open runs' undrawn samples). */
    long peakOpenSamples() {
        return peakOpenSamples;
    }

    /** Runs whose slab went back only once the batch that drew their last sample was delivered. */
    int deferredRuns() {
        return deferredRuns;
    }

    /** Runs whose values in the batch being gathered were copied into staging so their slab could go back. */
    int spilledRuns() {
        return spilledRuns;
    }

    /** Most runs open in the shuffle buffer at once so far. */
    int peakOpenRuns() {
        return peakOpenRuns;
    }

    /**
     * Stops the assembler and prefetching and waits for both, also when the calling thread is
     * interrupted (its interrupt status is kept); undelivered batches go back to the pool.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        assembler.interrupt();
        Threads.joinUninterruptibly(assembler);
        // batches still decoding read the shards' slabs and their staging buffers: let them finish
        // before the batches go back and the session hands the slabs back
        decodeTail.handle((v, e) -> null).join();
        Object o;
        while ((o = ready.poll()) != null) {
            if (o instanceof HostBatch b) {
                b.close();
            }
        }
        session.close();
    }
}
