package dev.sluice.data.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.data.format.Dataset;
import dev.sluice.data.format.Manifest;
import dev.sluice.data.format.ShardInfo;
import dev.sluice.data.format.Split;
import dev.sluice.data.memory.DirectAllocator;
import dev.sluice.data.memory.HostAllocator;
import dev.sluice.data.store.FileStore;
import dev.sluice.data.store.ObjectInfo;
import dev.sluice.data.store.ObjectStore;
import dev.sluice.data.store.StoreException;
import dev.sluice.data.testing.SyntheticDatasets;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the loader does when something fails: it frees what it took and never leaves a caller waiting. */
class LoaderFailureTest {

    @TempDir
    static Path tmp;

    static FileStore store;
    static Dataset dataset;

    @BeforeAll
    static void write() throws IOException {
        store = new FileStore(tmp.resolve("ds"));
        SyntheticDatasets.write(store, tmp, 300, 4, 4, 3, false, 4_000);
        dataset = Dataset.open(store);
        assertTrue(dataset.manifest().split("train").shards().size() > 4);
    }

    @AfterAll
    static void close() {
        store.close();
    }

    /** Direct memory that runs out at the {@code failAt}-th allocation (from 1), as allocateDirect does. */
    static final class RunsOut implements HostAllocator {
        final DirectAllocator mem = new DirectAllocator();
        final int failAt;
        int calls;

        RunsOut(int failAt) {
            this.failAt = failAt;
        }

        @Override
        public ByteBuffer allocate(int bytes) {
            if (++calls == failAt) {
                throw new OutOfMemoryError("Direct buffer memory (test)");
            }
            return mem.allocate(bytes);
        }

        @Override
        public void free(ByteBuffer buffer) {
            mem.free(buffer);
        }

        @Override
        public boolean pinned() {
            return false;
        }

        @Override
        public String describe() {
            return "runs out at allocation " + failAt;
        }
    }

    @Test
    void batchMemoryRunningOutFreesTheBatchBuffersAlreadyAllocated() {
        LoaderConfig cfg = LoaderConfig.training("train", 8, 1).withIo(2, 4096, 4); // 4 batches x 2 fields
        for (int failAt = 1; failAt <= 8; failAt++) {
            RunsOut batchMem = new RunsOut(failAt);
            DirectAllocator shardMem = new DirectAllocator();
            assertThrows(OutOfMemoryError.class, () -> new Loader(dataset, cfg, batchMem, shardMem));
            assertEquals(failAt - 1, batchMem.mem.allocations());
            assertEquals(0, batchMem.mem.liveBytes(), "allocation " + failAt + " failed: every earlier buffer freed");
            assertEquals(0, shardMem.allocations(), "no slab taken");
        }
    }

    @Test
    void shardMemoryRunningOutFreesTheSlabsAndTheBatchPool() {
        LoaderConfig cfg = LoaderConfig.training("train", 8, 1).withShuffle(true, 2).withIo(2, 4096, 3); // 4 slabs
        for (int failAt = 1; failAt <= 4; failAt++) {
            DirectAllocator batchMem = new DirectAllocator();
            RunsOut shardMem = new RunsOut(failAt);
            assertThrows(OutOfMemoryError.class, () -> new Loader(dataset, cfg, batchMem, shardMem));
            assertEquals(0, shardMem.mem.liveBytes(), "slab " + failAt + " failed: earlier slabs freed");
            assertTrue(batchMem.allocations() > 0);
            assertEquals(0, batchMem.liveBytes(), "slab " + failAt + " failed: batch pool freed");
        }
    }

    @Test
    void aShardTooLargeForASlabFreesTheBatchPool() {
        Manifest m = dataset.manifest();
        List<ShardInfo> shards = new ArrayList<>(m.split("train").shards());
        ShardInfo first = shards.get(0);
        shards.set(0, new ShardInfo(first.key(), first.samples(), 3L << 30, first.crc32c()));
        Manifest huge = new Manifest(m.major(), m.minor(), m.name(), m.created(), m.schema(),
                Map.of("train", new Split("train", shards)), m.metadata());
        DirectAllocator batchMem = new DirectAllocator();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Loader(Dataset.of(store, huge), LoaderConfig.training("train", 8, 1), batchMem));
        assertTrue(e.getMessage().contains("smaller shard size"), e.getMessage());
        assertTrue(batchMem.allocations() > 0);
        assertEquals(0, batchMem.liveBytes(), "batch pool freed");
    }

    /** The test dataset's store, with reads answered by {@code reads} (null: read normally). */
    static final class Reads implements ObjectStore {
        final Function<String, CompletableFuture<Void>> reads;

        Reads(Function<String, CompletableFuture<Void>> reads) {
            this.reads = reads;
        }

        @Override
        public String location() {
            return store.location();
        }

        @Override
        public long size(String key) throws IOException {
            return store.size(key);
        }

        @Override
        public boolean exists(String key) throws IOException {
            return store.exists(key);
        }

        @Override
        public void read(String key, long offset, ByteBuffer dst) throws IOException {
            store.read(key, offset, dst);
        }

        @Override
        public CompletableFuture<Void> readAsync(String key, long offset, ByteBuffer dst) {
            CompletableFuture<Void> f = reads.apply(key);
            return f != null ? f : store.readAsync(key, offset, dst);
        }

        @Override
        public List<ObjectInfo> list(String prefix) throws IOException {
            return store.list(prefix);
        }

        @Override
        public void publish(String key, Path source) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void put(String key, byte[] bytes) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void delete(String key) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void close() {}
    }

    /** Opens an epoch over {@code s} and reads it to the end; the failure {@code next()} threw. */
    static Throwable epochFailure(ObjectStore s) throws IOException {
        Dataset ds = Dataset.of(s, dataset.manifest());
        LoaderConfig cfg = LoaderConfig.training("train", 8, 1).withShuffle(true, 2);
        try (Loader l = new Loader(ds, cfg, new DirectAllocator())) {
            Throwable failure = null;
            try (EpochStream st = l.open(LoaderState.start(1, 0))) {
                for (HostBatch b; (b = st.next()) != null; ) {
                    b.close();
                }
            } catch (IOException | RuntimeException | Error e) {
                failure = e;
            }
            assertEquals(0, l.fetcher().slabsInUse(), "every slab handed back");
            return failure;
        }
    }

    @Test
    void anErrorInTheBackgroundReachesTheConsumerInsteadOfHangingIt() {
        String bad = dataset.manifest().split("train").shards().get(2).key();
        NoClassDefFoundError err = new NoClassDefFoundError("com/github/luben/zstd/Zstd (test)");
        Throwable t = assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> epochFailure(new Reads(k -> k.equals(bad) ? CompletableFuture.failedFuture(err) : null)));
        assertSame(err, t);
    }

    @Test
    void aStoreThatThrowsInsteadOfFailingTheFutureFailsTheEpochInsteadOfHangingIt() {
        String bad = dataset.manifest().split("train").shards().get(2).key();
        IllegalStateException boom = new IllegalStateException("store broken (test)");
        Throwable t = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> epochFailure(new Reads(k -> {
            if (k.equals(bad)) {
                throw boom;
            }
            return null;
        })));
        assertSame(boom, t);
    }

    @Test
    void readingFromAClosedFileStoreFailsNamingTheShard() throws IOException {
        FileStore closed = new FileStore(store.root());
        closed.close();
        Throwable t = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> epochFailure(closed));
        StoreException e = org.junit.jupiter.api.Assertions.assertInstanceOf(StoreException.class, t);
        assertTrue(e.getMessage().contains(".shard") && e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void closingFromAnInterruptedThreadStillWaitsForTheBackgroundThreads() throws IOException {
        LoaderConfig cfg = LoaderConfig.training("train", 8, 1).withShuffle(true, 2);
        try (Loader l = new Loader(dataset, cfg, new DirectAllocator())) {
            for (int round = 0; round < 20; round++) {
                java.util.Set<Thread> before = Thread.getAllStackTraces().keySet();
                EpochStream st = l.open(LoaderState.start(1, 0));
                List<Thread> mine = new ArrayList<>();
                for (Thread t : Thread.getAllStackTraces().keySet()) {
                    if (!before.contains(t) && (t.getName().startsWith("sluice-assembler")
                            || t.getName().startsWith("sluice-prefetch"))) {
                        mine.add(t);
                    }
                }
                HostBatch b = st.next();
                b.close();
                // e.g. a training job cancelled with Future.cancel(true), closing its resources
                Thread.currentThread().interrupt();
                try {
                    st.close();
                    assertTrue(Thread.currentThread().isInterrupted(), "the interrupt is kept for the caller");
                } finally {
                    Thread.interrupted();
                }
                for (Thread t : mine) {
                    assertTrue(!t.isAlive(), t.getName() + " still runs after close(), and may still touch"
                            + " slabs and batch buffers the caller frees next (round " + round + ")");
                }
                assertEquals(0, l.fetcher().slabsInUse(), "every slab handed back");
            }
        }
    }

    @Test
    void aNextStateThatIsRejectedLeavesNoStreamRunning() throws IOException {
        LoaderConfig cfg = LoaderConfig.training("train", 8, 1).withShuffle(true, 2);
        List<Long> whole = LoaderTest.epochOf(dataset, cfg, LoaderState.start(1, 0), null);
        DirectAllocator batchMem = new DirectAllocator();
        try (Loader l = new Loader(dataset, cfg, batchMem)) {
            LoaderState[] rejected = {
                LoaderState.start(2, 1),                                              // another seed
                new LoaderState(1, 1, List.of(new LoaderState.Segment(3, 5))),        // not lockstep
            };
            for (LoaderState then : rejected) {
                assertThrows(IllegalArgumentException.class, () -> l.open(LoaderState.start(1, 0), then));
                // nothing left holding slabs or batches: the next stream gets them all
                List<Long> ids = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
                    try (EpochStream st = l.open(LoaderState.start(1, 0))) {
                        return LoaderTest.drain(st, Integer.MAX_VALUE);
                    }
                });
                assertEquals(whole, ids);
                assertEquals(0, l.pool().inUse());
            }
        }
        assertEquals(0, batchMem.liveBytes());
    }
}
