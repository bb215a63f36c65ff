package dev.sluice.data.loader;

import dev.sluice.data.format.Crc32cCombine;
import dev.sluice.data.format.Dataset;
import dev.sluice.data.format.ShardInfo;
import dev.sluice.data.format.ShardView;
import dev.sluice.data.memory.HostAllocator;
import dev.sluice.data.store.ReadReport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Fetches whole shards into a fixed set of slabs (direct buffers sized for the largest shard):
 * each shard as parallel ranged reads of {@code partBytes}, several shards in flight as slabs
 * allow, then CRC-checked and indexed off the I/O threads. The slab count bounds the loader's
 * shard memory: {@code slabs * maxShardBytes}.
 *
 * <p>Where the store checksums reads as they arrive ({@link ReadReport#crc32c()}, the S3 store),
 * the parts' CRCs are joined into the shard's (see {@link Crc32cCombine}) and the shard is not read
 * a second time for its check; otherwise the whole slab is checksummed once all parts are in.
 */
final class ShardFetcher implements AutoCloseable {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ShardFetcher.class);

    private final Dataset dataset;
    private final List<ShardInfo> shards;
    private final HostAllocator allocator;
    private final long partBytes;
    private final boolean verify;
    private final LoaderMetrics metrics;
    private final ShardCache cache;
    private static final CompletableFuture<Loaded> RELEASED =
            CompletableFuture.failedFuture(new IllegalStateException("shard already released"));

    private final List<ByteBuffer> slabs = new ArrayList<>();
    private final BlockingQueue<ByteBuffer> free;
    private final ExecutorService checker;
    // cache lookups, which may wait for another process's download; never interrupted, as an
    // interrupt would close the cache's lock channel (see CacheLocks)
    private final ExecutorService cacheThreads;
    private final long slabBytes;
    // what the slabs hold now and at most (taken from the free queue until handed back)
    private final AtomicInteger slabsInUse = new AtomicInteger();
    private final AtomicLong bytesHeld = new AtomicLong();
    private final AtomicInteger peakSlabsInUse = new AtomicInteger();
    private final AtomicLong peakBytesHeld = new AtomicLong();

    ShardFetcher(Dataset dataset, List<ShardInfo> shards, HostAllocator allocator, int slabCount, long partBytes,
                 boolean verify, LoaderMetrics metrics, ShardCache cache) {
        this.cache = cache;
        this.dataset = dataset;
        this.shards = shards;
        this.allocator = allocator;
        this.partBytes = partBytes;
        this.verify = verify;
        this.metrics = metrics;
        long max = 1;
        for (ShardInfo s : shards) {
            max = Math.max(max, s.bytes());
        }
        if (max > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a shard of " + max + " bytes exceeds the 2 GiB a buffer can hold;"
                    + " re-ingest with a smaller shard size");
        }
        this.slabBytes = max;
        this.free = new ArrayBlockingQueue<>(slabCount);
        try {
            for (int i = 0; i < slabCount; i++) {
                ByteBuffer b = allocator.allocate((int) max);
                slabs.add(b);
                free.add(b);
            }
        } catch (RuntimeException | Error e) {
            // out of memory part way: free the slabs already allocated
            for (ByteBuffer b : slabs) {
                allocator.free(b);
            }
            throw e;
        }
        this.checker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "sluice-shard-check");
            t.setDaemon(true);
            return t;
        });
        this.cacheThreads = cache == null ? null : Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "sluice-shard-cache");
            t.setDaemon(true);
            return t;
        });
    }

    /** A loaded shard and the slab holding it. */
    record Loaded(ShardView view, ByteBuffer slab) {}

    /** Starts fetching the shards of {@code runs} in order, skipping runs marked done. */
    Session start(List<Run> runs, boolean[] done) {
        return new Session(runs, done, CompletableFuture.completedFuture(null));
    }

    /**
     * Like {@link #start}, but takes no slab before {@code after} completes: the next epoch's session
     * waits until the current one has a slab for each of its runs, so it only ever takes slabs the
     * current epoch has finished with (never one the current epoch still needs).
     */
    Session startAfter(List<Run> runs, boolean[] done, CompletableFuture<Void> after) {
        return new Session(runs, done, after);
    }

    /** Fetches for one epoch stream. */
    final class Session implements AutoCloseable {
        private final List<Run> runs;
        private final List<CompletableFuture<Loaded>> futures = new ArrayList<>();
        private final boolean[] issued;
        private final Thread thread;
        private final CompletableFuture<Void> allIssued = new CompletableFuture<>();
        private final LoaderMetrics.Fetches fetches = metrics.fetches();
        private volatile boolean closed;

        Session(List<Run> runs, boolean[] done, CompletableFuture<Void> after) {
            this.runs = runs;
            this.issued = new boolean[runs.size()];
            for (int i = 0; i < runs.size(); i++) {
                futures.add(new CompletableFuture<>());
            }
            thread = new Thread(() -> {
                try {
                    after.get();
                    issueAll(done);
                } catch (InterruptedException closing) {
                    // closed before its turn came
                } catch (java.util.concurrent.ExecutionException impossible) {
                    throw new IllegalStateException(impossible);
                } finally {
                    // also when closed early: a session waiting on this one must not wait forever
                    allIssued.complete(null);
                }
            }, "sluice-prefetch");
            thread.setDaemon(true);
            thread.start();
        }

        private void issueAll(boolean[] done) {
            for (int i = 0; i < runs.size() && !closed; i++) {
                if (done[i]) {
                    continue;
                }
                ShardInfo shard = shards.get(runs.get(i).shard());
                ByteBuffer slab;
                try {
                    slab = take(shard);
                } catch (InterruptedException e) {
                    return; // closing
                }
                CompletableFuture<Loaded> target = futures.get(i);
                synchronized (issued) {
                    issued[i] = true;
                }
                CompletableFuture<Loaded> loading;
                try {
                    loading = load(shard, slab, fetches);
                } catch (RuntimeException | Error e) {
                    // nothing was issued into the slab (fromStore turns a throwing read into a failed part)
                    loading = CompletableFuture.failedFuture(e);
                }
                loading.whenComplete((loaded, err) -> {
                    if (err != null) {
                        giveBack(slab, shard);
                        target.completeExceptionally(unwrap(err));
                    } else {
                        target.complete(loaded);
                    }
                });
            }
        }

        /** This session's fetch counters (see {@link LoaderMetrics#publish}). */
        LoaderMetrics.Fetches fetches() {
            return fetches;
        }

        /** Completes once every run has a slab (or the session was closed). */
        CompletableFuture<Void> allIssued() {
            return allIssued;
        }

        /** Waits for run {@code i}'s shard. */
        ShardView await(int i) throws IOException, InterruptedException {
            try {
                return futures.get(i).get().view();
            } catch (java.util.concurrent.ExecutionException e) {
                throw asIo(e.getCause());
            }
        }

        /** Hands run {@code i}'s slab back (once; later calls do nothing). Any thread may call it. */
        synchronized void release(int i) {
            CompletableFuture<Loaded> f = futures.get(i);
            if (f.isDone() && !f.isCompletedExceptionally()) {
                futures.set(i, RELEASED);
                giveBack(f.join().slab(), shards.get(runs.get(i).shard()));
            }
        }

        /** Stops prefetching and waits until no read is still writing into a slab. */
        @Override
        public void close() {
            closed = true;
            thread.interrupt();
            Threads.joinUninterruptibly(thread);
            for (int i = 0; i < futures.size(); i++) {
                synchronized (issued) {
                    if (!issued[i]) {
                        continue;
                    }
                }
                try {
                    futures.get(i).handle((l, e) -> l).join();
                } catch (CompletionException ignoredAlreadyReported) {
                    // errors were delivered to the consumer; only the slab matters here
                }
                release(i);
            }
        }
    }

    private ByteBuffer take(ShardInfo shard) throws InterruptedException {
        ByteBuffer slab = free.take();
        int n = slabsInUse.incrementAndGet();
        long b = bytesHeld.addAndGet(shard.bytes());
        peakSlabsInUse.accumulateAndGet(n, Math::max);
        peakBytesHeld.accumulateAndGet(b, Math::max);
        return slab;
    }

    private void giveBack(ByteBuffer slab, ShardInfo shard) {
        slabsInUse.decrementAndGet();
        bytesHeld.addAndGet(-shard.bytes());
        free.add(slab);
    }

    /** Slabs allocated (fixed for the fetcher's life). */
    int slabCount() {
        return slabs.size();
    }

    /** Capacity of each slab: the split's largest shard. */
    long slabBytes() {
        return slabBytes;
    }

    /** Most slabs holding (or being filled with) a shard at once so far. */
    int peakSlabsInUse() {
        return peakSlabsInUse.get();
    }

    /** Most shard bytes held in slabs at once so far. */
    long peakBytesHeld() {
        return peakBytesHeld.get();
    }

    /** Slabs holding (or being filled with) a shard now. */
    int slabsInUse() {
        return slabsInUse.get();
    }

    private CompletableFuture<Loaded> load(ShardInfo shard, ByteBuffer slab, LoaderMetrics.Fetches fetches) {
        if (cache == null) {
            return fromStore(shard, slab, fetches, null);
        }
        return CompletableFuture.supplyAsync(() -> fromCache(shard, slab, fetches), cacheThreads)
                .thenCompose(c -> {
                    if (c.loaded() != null) {
                        return CompletableFuture.completedFuture(c.loaded());
                    }
                    ShardCache.Claim claim = c.claim();
                    CompletableFuture<Loaded> f;
                    try {
                        f = fromStore(shard, slab, fetches, claim);
                    } catch (RuntimeException | Error e) {
                        closeClaim(claim, shard, e);
                        throw e;
                    }
                    // the claim is let go however the download ends, so waiting processes go on
                    return claim == null ? f : f.whenComplete((l, e) -> closeClaim(claim, shard, e));
                });
    }

    /** What the cache gave: the shard, or nothing and (maybe) the claim to fill its entry. */
    private record Cached(Loaded loaded, ShardCache.Claim claim) {}

    /** Looks the shard up in the cache, waiting while another process downloads it. */
    private Cached fromCache(ShardInfo shard, ByteBuffer slab, LoaderMetrics.Fetches fetches) {
        String loc = dataset.store().location();
        try {
            // a damaged entry is dropped and looked up once more (so it is claimed and fetched again)
            for (int attempt = 0; attempt < 2; attempt++) {
                long t0 = System.nanoTime();
                ShardFetchEvent event = new ShardFetchEvent();
                event.begin();
                ShardCache.Lookup found = cache.readOrClaim(loc, shard, slab);
                if (!found.hit()) {
                    return new Cached(null, found.claim());
                }
                try {
                    // a cached copy is checked like a download
                    ShardView view = dataset.view(shard, slab.duplicate().position(0).limit((int) shard.bytes()), true);
                    fetches.cached(shard.bytes(), System.nanoTime() - t0);
                    event.commit(shard.key(), shard.bytes(), 0, 0, false, true);
                    return new Cached(new Loaded(view, slab), null);
                } catch (dev.sluice.data.format.FormatException damaged) {
                    java.nio.file.Path entry = cache.dropDamaged(loc, shard);
                    LOG.warn("shard cache entry {} of {} is damaged ({}); deleted it, looking the shard up again",
                            entry, shard.key(), damaged.getMessage());
                }
            }
            return new Cached(null, null);
        } catch (IOException e) {
            // the cache is an optimization: a cache that cannot be read (disk error) must not stop
            // training when the store still has the shard
            LOG.warn("shard cache {} could not be read for {} ({}); fetching it from the store", cache.dir(),
                    shard.key(), e.toString());
            return new Cached(null, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CompletionException(new LoaderException("interrupted while waiting for another process's"
                    + " download of " + shard.key() + " into shard cache " + cache.dir(), e));
        }
    }

    private void closeClaim(ShardCache.Claim claim, ShardInfo shard, Throwable failure) {
        if (claim == null) {
            return;
        }
        try {
            claim.close();
        } catch (IOException e) {
            if (failure != null) {
                failure.addSuppressed(e);
            } else {
                // the shard itself is fine; other processes may wait on the claim until this one exits
                LOG.warn("shard cache {} could not release its claim on {} ({})", cache.dir(), shard.key(),
                        e.toString());
            }
        }
    }

    private CompletableFuture<Loaded> fromStore(ShardInfo shard, ByteBuffer slab, LoaderMetrics.Fetches fetches,
                                                ShardCache.Claim claim) {
        long t0 = System.nanoTime();
        ShardFetchEvent event = new ShardFetchEvent();
        event.begin();
        int size = (int) shard.bytes();
        slab.clear().limit(size);
        int parts = (int) ((size + partBytes - 1) / partBytes);
        boolean check = verify || cache != null;
        @SuppressWarnings("unchecked")
        CompletableFuture<ReadReport>[] reads = new CompletableFuture[Math.max(parts, 1)];
        for (int p = 0; p < parts; p++) {
            int off = (int) (p * partBytes);
            int len = (int) Math.min(partBytes, size - off);
            ByteBuffer part = slab.duplicate().position(off).limit(off + len).slice();
            try {
                reads[p] = dataset.store().readReported(shard.key(), off, part, check);
            } catch (RuntimeException | Error e) {
                // a store that throws instead of failing the future: the parts already issued may
                // still be writing into the slab, so fail through allOf, which waits for them
                reads[p] = CompletableFuture.failedFuture(e);
            }
        }
        if (parts == 0) {
            reads[0] = CompletableFuture.completedFuture(ReadReport.ONE);
        }
        return CompletableFuture.allOf(reads).thenApplyAsync(v -> {
            ByteBuffer data = slab.duplicate().position(0).limit(size);
            try {
                long crc = check ? partsCrc(reads, parts, size) : ReadReport.NO_CRC;
                ShardView view = crc != ReadReport.NO_CRC ? dataset.view(shard, data, crc)
                        : dataset.view(shard, data, check);
                if (claim != null) {
                    try {
                        claim.fill(data);
                    } catch (IOException e) {
                        // the shard itself is good; only later epochs lose the cached copy
                        LOG.warn("shard cache {} could not store {} ({}); later epochs read it from the store",
                                cache.dir(), shard.key(), e.toString());
                    }
                }
                fetches.read(size, parts, System.nanoTime() - t0);
                int attempts = 0;
                boolean hedged = false;
                for (int p = 0; p < parts; p++) {
                    ReadReport r = reads[p].join(); // all complete: allOf succeeded
                    attempts += r.attempts();
                    hedged |= r.hedged();
                }
                event.commit(shard.key(), size, parts, attempts, hedged, false);
                return new Loaded(view, slab);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, checker);
    }

    /** The CRC-32C of the shard from its parts' (all complete), or NO_CRC if a part has none. */
    private long partsCrc(CompletableFuture<ReadReport>[] reads, int parts, int size) {
        if (parts == 0) {
            return ReadReport.NO_CRC; // an empty shard: the whole-slab check is free
        }
        long crc = 0;
        for (int p = 0; p < parts; p++) {
            ReadReport r = reads[p].join();
            if (!r.hasCrc32c()) {
                return ReadReport.NO_CRC;
            }
            long len = Math.min(partBytes, size - p * partBytes);
            crc = p == 0 ? r.crc32c() : Crc32cCombine.combine(crc, r.crc32c(), len);
        }
        return crc;
    }

    static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof UncheckedIOException
                || t instanceof java.util.concurrent.ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    static IOException asIo(Throwable t) {
        Throwable u = unwrap(t);
        if (u instanceof IOException io) {
            return io;
        }
        if (u instanceof RuntimeException re) {
            throw re;
        }
        if (u instanceof Error err) {
            throw err;
        }
        return new LoaderException("shard fetch failed: " + u, u);
    }

    @Override
    public void close() {
        checker.shutdownNow();
        if (cacheThreads != null) {
            cacheThreads.shutdown();
        }
        for (ByteBuffer b : slabs) {
            allocator.free(b);
        }
        slabs.clear();
    }
}
