package dev.sluice.data.loader;

import dev.sluice.data.format.Dataset;
import dev.sluice.data.format.ShardInfo;
import dev.sluice.data.image.DecodedImage;
import dev.sluice.data.image.ImageAugment;
import dev.sluice.data.image.ImageDecodeException;
import dev.sluice.data.image.ImageDecoder;
import dev.sluice.data.image.ImageDecoders;
import dev.sluice.data.image.ImageStage;
import dev.sluice.data.image.Resampler;
import dev.sluice.data.transform.SampleDraws;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The decode pool of a loader with an {@link ImageStage}: a fixed set of threads, each with its own
 * decoder and scratch, that decode and augment the images of one batch straight into its buffer.
 * The threads of a batch take slots from a shared counter, so a slow image holds up one thread only.
 */
final class DecodeStage implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DecodeStage.class);

    private final ImageStage stage;
    private final Dataset dataset;
    private final int schemaField;
    private final int batchField;
    private final int threads;
    private final String decoderName;
    private final ExecutorService pool;
    private final ThreadLocal<Worker> worker;
    private final LongAdder failures = new LongAdder();

    /** A decode thread's own decoder and scratch, closed when the thread ends. */
    static final class Worker {
        final ImageDecoder decoder;
        final Resampler resampler;
        final SampleDraws draws = new SampleDraws(0, 0, 0);

        Worker(ImageDecoder decoder, Resampler resampler) {
            this.decoder = decoder;
            this.resampler = resampler;
        }

        /**
         * Frees the decoder and the resampler, the second even when the first fails; throws the first
         * failure, with the second suppressed.
         */
        void close() {
            RuntimeException failure = null;
            try {
                decoder.close();
            } catch (RuntimeException e) {
                failure = e;
            }
            if (resampler instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception e) {
                    IllegalStateException r = new IllegalStateException("could not free the decode thread's resampler", e);
                    if (failure == null) {
                        failure = r;
                    } else {
                        failure.addSuppressed(r);
                    }
                }
            }
            if (failure != null) {
                throw failure;
            }
        }
    }

    /**
     * @param schemaField index of the encoded field in the dataset's schema
     * @param batchField index of its decoded output among the batch's buffers
     */
    DecodeStage(ImageStage stage, Dataset dataset, int schemaField, int batchField) {
        this.stage = stage;
        this.dataset = dataset;
        this.schemaField = schemaField;
        this.batchField = batchField;
        this.decoderName = ImageDecoders.resolve(stage.decoder());
        Supplier<ImageDecoder> factory = ImageDecoders.factory(decoderName);
        this.worker = ThreadLocal.withInitial(() -> new Worker(factory.get(),
                Resampler.forDecoder(decoderName, stage.height(), stage.width())));
        this.threads = stage.threadCount();
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(() -> {
                try {
                    r.run();
                } finally {
                    Worker w = worker.get();
                    w.close();
                    worker.remove();
                }
            }, "sluice-decode-" + n.getAndIncrement());
            t.setDaemon(true);
            return t;
        });
    }

    ImageStage stage() {
        return stage;
    }

    /** The decoder implementation in use ({@code opencv}, {@code imageio} or a provider's, e.g. {@code nvjpeg}). */
    String decoderName() {
        return decoderName;
    }

    /** Images that failed to decode and were skipped, since the loader was built. */
    long failures() {
        return failures.sum();
    }

    /**
     * Decodes and augments every slot of {@code b} on the pool. Never completes exceptionally: a
     * failure that is not a bad image (or any failure with strict decoding) is left in
     * {@code b.failure}; a bad image marks its slot in {@code b.bad}.
     */
    CompletableFuture<Void> submit(HostBatch b, long seed, long epoch) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        int n = b.size();
        int tasks = Math.max(1, Math.min(threads, n));
        AtomicInteger next = new AtomicInteger();
        AtomicInteger left = new AtomicInteger(tasks);
        Runnable task = () -> {
            try {
                Worker w = worker.get();
                for (int k; (k = next.getAndIncrement()) < n && b.failure == null; ) {
                    decodeSlot(w, b, k, seed, epoch);
                }
            } catch (Throwable e) {
                // an Error too: the stream must report it, never hang waiting for this batch
                b.failure = e;
            } finally {
                if (left.decrementAndGet() == 0) {
                    done.complete(null);
                }
            }
        };
        int accepted = 0;
        try {
            for (; accepted < tasks; accepted++) {
                pool.execute(task);
            }
        } catch (RuntimeException | Error e) {
            // rejected (the pool was shut down under a running stream), or no thread could be made.
            // Only the tasks never started are counted off here: those accepted may still be decoding
            // from the batch's staging buffer or the shards' slabs, and the batch must not be handed on
            // (its buffer reused, the slabs given back) before they end
            b.failure = e;
            if (left.addAndGet(-(tasks - accepted)) == 0) {
                done.complete(null);
            }
        }
        return done;
    }

    private void decodeSlot(Worker w, HostBatch b, int k, long seed, long epoch) throws Exception {
        DecodedImage img;
        try {
            img = w.decoder.decode(b.input(k), b.valueOffset[k], b.valueLength[k]);
        } catch (ImageDecodeException e) {
            failures.increment();
            ShardInfo shard = b.shards[k];
            String what = "field '" + stage.field() + "' of sample " + b.sampleId(k) + " (shard "
                    + dataset.where(shard) + ", sample " + b.locals[k] + " of the shard)";
            if (stage.strict()) {
                throw new LoaderException("could not decode " + what + ": " + e.getMessage()
                        + "; without strict decoding such images are skipped with a warning", e);
            }
            LOG.warn("skipped {}: it does not decode ({}); {} image(s) skipped so far", what, e.getMessage(),
                    failures.sum());
            b.bad[k] = true;
            return;
        }
        int out = k * stage.sampleBytes();
        ImageAugment.apply(img, stage, seed, epoch, b.sampleId(k), w.draws, w.resampler, b.raw()[batchField], out);
    }

    /** Stops the threads once the queued work is done and waits for them. */
    @Override
    public void close() {
        pool.shutdown();
        boolean interrupted = false;
        while (true) {
            try {
                if (pool.awaitTermination(1, TimeUnit.MINUTES)) {
                    break;
                }
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
