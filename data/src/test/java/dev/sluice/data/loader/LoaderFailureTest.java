package dev.sluice.data.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.data.format.Dataset;
import dev.sluice.data.format.Manifest;
import dev.sluice.data.format.ShardInfo;
import dev.sluice.data.format.Split;
import dev.sluice.data.memory.DirectAllocator;
import dev.sluice.data.memory.HostAllocator;
import dev.sluice.data.store.FileStore;
import dev.sluice.data.testing.SyntheticDatasets;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
}
