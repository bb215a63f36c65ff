package dev.sluice.engine.bench;

import dev.sluice.data.format.Dataset;
import dev.sluice.data.format.ShardInfo;
import dev.sluice.data.format.Split;
import dev.sluice.data.loader.EpochStream;
import dev.sluice.data.loader.HostBatch;
import dev.sluice.data.loader.Loader;
import dev.sluice.data.loader.LoaderConfig;
import dev.sluice.data.loader.LoaderState;
import dev.sluice.data.loader.ShardCache;
import dev.sluice.data.memory.DirectAllocator;
import dev.sluice.data.store.ObjectStore;
import dev.sluice.data.store.StoreStats;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Loader throughput against raw parallel GETs of the same objects through the same store (the same
 * S3 client): the raw pass fetches every shard of the split whole, as ranged reads of the loader's
 * part size into direct buffers, with as many shards in flight as the loader keeps
 * ({@code window + prefetch}), and checks nothing; the loader pass streams one shuffled epoch (CRC32C,
 * index, bounded shuffle, collation into batches) as fast as a consumer takes batches. Both read the
 * same bytes in the same run; their ratio is what the loader costs on top of the transfer.
 */
public final class StoreBenchmark {

    private final Dataset dataset;
    private final LoaderConfig config;
    private final ShardCache cache;

    /**
     * @param dataset the dataset, opened on the store to measure
     * @param config the loader's configuration; its part size, window and prefetch also shape the raw pass
     * @param cache a shard cache for the loader pass, or null (the raw pass never uses one)
     */
    public StoreBenchmark(Dataset dataset, LoaderConfig config, ShardCache cache) {
        this.dataset = dataset;
        this.config = config;
        this.cache = cache;
    }

    /**
     * One measured pass.
     *
     * @param mode {@code raw} or {@code loader}
     * @param bytes shard bytes read from the store
     * @param samples samples delivered (0 for raw)
     * @param seconds wall time
     * @param requests ranged reads issued
     * @param waitMsPerBatch mean time the consumer waited per batch (loader only)
     * @param cpuSeconds CPU time this process used during the pass (all threads: client, loader and a
     *     local server running in the same process), or NaN where the JVM does not say
     * @param cpuByRole CPU seconds of the pass by thread role ({@link ThreadCpu#ROLES}, then "unseen" for
     *     what the per-thread samples missed); empty where the system does not say
     * @param hedges second requests the store sent during the pass for reads that were slow to answer
     *     (not in {@code requests}; each moves a part's bytes again)
     */
    public record Measurement(String mode, long bytes, long samples, double seconds, long requests,
                              double waitMsPerBatch, double cpuSeconds, java.util.Map<String, Double> cpuByRole,
                              long hedges) {
        public double mbPerSecond() {
            return bytes / 1e6 / seconds;
        }

        /** Cores kept busy on average during the pass. */
        public double coresBusy() {
            return cpuSeconds / seconds;
        }

        /** CPU seconds spent per GB moved. */
        public double cpuSecondsPerGb() {
            return cpuSeconds / (bytes / 1e9);
        }

        public double samplesPerSecond() {
            return samples / seconds;
        }
    }

    /** Shards the raw pass keeps in flight: the loader's slab count. */
    public int shardsInFlight() {
        return config.window() + Math.max(1, config.prefetch());
    }

    /**
     * Fetches every shard of the split as parallel ranged reads of the part size into direct
     * buffers, {@link #shardsInFlight()} shards at a time, in manifest order; no checks. Buffers are
     * allocated before the clock starts.
     */
    public Measurement raw() throws IOException {
        Split split = dataset.manifest().split(config.split());
        ObjectStore store = dataset.store();
        int slabs = shardsInFlight();
        DirectAllocator mem = new DirectAllocator();
        BlockingQueue<ByteBuffer> free = new ArrayBlockingQueue<>(slabs);
        List<ByteBuffer> all = new ArrayList<>();
        for (int i = 0; i < slabs; i++) {
            ByteBuffer b = mem.allocate((int) split.maxShardBytes());
            all.add(b);
            free.add(b);
        }
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        long part = config.partBytes();
        long bytes = 0;
        long requests = 0;
        ThreadCpu.Watch threads = null;
        StoreStats before = store.stats();
        try {
            threads = new ThreadCpu.Watch(WATCH_MILLIS);
            long t0 = System.nanoTime();
            double cpu0 = cpuSeconds();
            for (ShardInfo sh : split.shards()) {
                ByteBuffer slab = free.take();
                int size = (int) sh.bytes();
                int parts = (int) ((size + part - 1) / part);
                CompletableFuture<?>[] reads = new CompletableFuture<?>[parts];
                for (int p = 0; p < parts; p++) {
                    int off = (int) (p * part);
                    int len = (int) Math.min(part, size - off);
                    reads[p] = store.readAsync(sh.key(), off, slab.duplicate().position(off).limit(off + len).slice());
                }
                requests += parts;
                bytes += size;
                CompletableFuture<Void> done = CompletableFuture.allOf(reads);
                // the slab goes back only when all its parts are in (or failed: the failure is reported below)
                done.whenComplete((v, e) -> free.add(slab));
                pending.add(done);
                pending.removeIf(f -> f.isDone() && !f.isCompletedExceptionally());
                for (CompletableFuture<Void> f : pending) {
                    if (f.isCompletedExceptionally()) {
                        f.get();
                    }
                }
            }
            for (CompletableFuture<Void> f : pending) {
                f.get();
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            double cpu = cpuSeconds() - cpu0;
            return new Measurement("raw", bytes, 0, secs, requests, 0, cpu, byRole(threads.stop(), cpu),
                    store.stats().minus(before).hedges());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted during the raw pass");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) {
                throw io;
            }
            throw new IOException("raw pass failed: " + c, c);
        } finally {
            if (threads != null) {
                threads.close();
            }
            // never free a buffer a read may still write into
            for (CompletableFuture<Void> f : pending) {
                f.handle((v, e) -> null).join();
            }
            all.forEach(mem::free);
        }
    }

    /**
     * Streams one epoch through the loader as fast as the consumer takes batches. The loader's
     * buffers are allocated before the clock starts, as a training job allocates them once.
     */
    public Measurement loader(long epoch) throws IOException {
        StoreStats before = dataset.store().stats();
        try (Loader l = new Loader(dataset, config, new DirectAllocator(), null, cache);
             ThreadCpu.Watch threads = new ThreadCpu.Watch(WATCH_MILLIS)) {
            long t0 = System.nanoTime();
            double cpu0 = cpuSeconds();
            long samples = 0;
            long batches = 0;
            try (EpochStream s = l.open(LoaderState.start(config.seed(), epoch))) {
                for (HostBatch b = s.next(); b != null; b = s.next()) {
                    samples += b.size();
                    batches++;
                    b.close();
                }
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            double cpu = cpuSeconds() - cpu0;
            var m = l.metrics().snapshot();
            return new Measurement("loader", m.bytesRead() + m.cacheBytes(), samples, secs, m.requests(),
                    batches == 0 ? 0 : m.waitNanos() / 1e6 / batches, cpu, byRole(threads.stop(), cpu),
                    dataset.store().stats().minus(before).hedges());
        }
    }

    /**
     * {@code warmup} unmeasured pairs of passes (JIT, connections, page cache, the garbage
     * collector's sizing), then {@code rounds} alternating raw and loader passes; returns the
     * measured ones.
     */
    public List<Measurement> run(int warmup, int rounds, java.util.function.Consumer<Measurement> each)
            throws IOException {
        for (int w = 0; w < warmup; w++) {
            raw();
            loader(w);
        }
        List<Measurement> out = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            Measurement raw = raw();
            each.accept(raw);
            out.add(raw);
            Measurement ld = loader(warmup + r);
            each.accept(ld);
            out.add(ld);
        }
        return out;
    }

    /**
     * Each round's loader figure over the raw figure of the same round, from {@link #run}'s measured
     * passes (raw then loader, round by round), in round order.
     */
    public static double[] paired(List<Measurement> passes, java.util.function.ToDoubleFunction<Measurement> figure) {
        double[] out = new double[passes.size() / 2];
        for (int r = 0; r < out.length; r++) {
            out[r] = figure.applyAsDouble(passes.get(2 * r + 1)) / figure.applyAsDouble(passes.get(2 * r));
        }
        return out;
    }

    /** Sampling period of the per-thread CPU watch: short next to a pass, cheap (a few /proc reads). */
    private static final long WATCH_MILLIS = 100;

    /**
     * CPU seconds by role, plus "unseen": the process total less what the watched threads account for
     * (threads that ended between two samples, and the watch itself).
     */
    private static java.util.Map<String, Double> byRole(java.util.Map<String, Double> roles, double processCpu) {
        if (roles.values().stream().allMatch(v -> v == 0)) {
            return java.util.Map.of();
        }
        double seen = roles.values().stream().mapToDouble(Double::doubleValue).sum();
        roles.put("unseen", Math.max(0, processCpu - seen));
        return roles;
    }

    /** CPU time of this process so far, in seconds; NaN if the JVM cannot tell. */
    static double cpuSeconds() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            long ns = os.getProcessCpuTime();
            return ns < 0 ? Double.NaN : ns / 1e9;
        }
        return Double.NaN;
    }

    /** Median of the measurements of one mode, by MB/s. */
    public static Measurement median(List<Measurement> all, String mode) {
        return Medians.byThroughput(all, mode, Measurement::mode, Measurement::mbPerSecond);
    }
}
