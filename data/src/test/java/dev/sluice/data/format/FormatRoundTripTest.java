package dev.sluice.data.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.data.store.FileStore;
import dev.sluice.data.testing.SyntheticDatasets;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FormatRoundTripTest {

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "compressed pixels: {0}")
    @ValueSource(booleans = {false, true})
    void everySampleReadsBackByIndexAndFromWholeShards(boolean compress) throws Exception {
        try (FileStore store = new FileStore(tmp.resolve("ds"))) {
            Manifest m = SyntheticDatasets.write(store, tmp, 500, 8, 6, 3, compress, compress ? 3_000 : 20_000, "train", "test");
            assertTrue(m.split("train").shards().size() > 3, "small target size gives several shards");
            Dataset ds = Dataset.open(store);
            assertEquals(m.schema(), ds.schema());
            assertEquals(500, ds.manifest().split("test").samples());

            // random access, in a scrambled order
            ByteBuffer px = ByteBuffer.allocate(8 * 6 * 3);
            ByteBuffer id = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer expect = ByteBuffer.allocate(px.capacity());
            for (int k = 0; k < 500; k++) {
                long i = (k * 7919L) % 500;
                ds.readSample("train", i, 0, px.clear());
                ds.readSample("train", i, 1, id.clear());
                SyntheticDatasets.fillPixels(i, expect.clear());
                assertEquals(expect.clear(), px.flip(), "pixels of sample " + i);
                assertEquals(i, id.getLong(0));
            }

            // whole shards, copied sample by sample and as runs
            long next = 0;
            for (ShardInfo sh : ds.manifest().split("test").shards()) {
                ByteBuffer buf = ByteBuffer.allocateDirect((int) sh.bytes());
                ShardView view = ds.load(sh, buf, true);
                int n = (int) view.samples();
                ByteBuffer run = ByteBuffer.allocateDirect(n * px.capacity());
                view.copyRun(0, 0, n, run, 0);
                ByteBuffer ids = ByteBuffer.allocateDirect(n * 8).order(ByteOrder.LITTLE_ENDIAN);
                view.copyRun(1, 0, n, ids, 0);
                for (int s = 0; s < n; s++) {
                    SyntheticDatasets.fillPixels(next, expect.clear());
                    assertEquals(expect.clear(), run.duplicate().position(s * px.capacity())
                            .limit((s + 1) * px.capacity()), "sample " + next);
                    assertEquals(next, ids.getLong(s * 8));
                    next++;
                }
            }
            assertEquals(500, next);
        }
    }

    @Test
    void shardLayoutMatchesTheSpec() throws Exception {
        try (FileStore store = new FileStore(tmp.resolve("ds"))) {
            Manifest m = SyntheticDatasets.write(store, tmp, 10, 2, 2, 1, false, 1 << 20);
            ShardInfo sh = m.split("train").shards().get(0);
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(store.root().resolve(sh.key())))
                    .order(ByteOrder.LITTLE_ENDIAN);
            assertEquals("SLUICESH", new String(b.array(), 0, 8, java.nio.charset.StandardCharsets.US_ASCII));
            assertEquals(1, b.getShort(8));
            assertEquals(2, b.getInt(12), "field count");
            assertEquals(10, b.getLong(16), "sample count");
            assertEquals(64, b.getLong(24), "index = 2 field entries of 32 bytes");
            assertEquals(128, b.getLong(32), "data offset aligned to 64");
            assertEquals(sh.bytes(), b.getLong(40));
            // field 0: uint8, 4 bytes per sample, section at 128
            assertEquals(DType.UINT8.code(), b.get(64));
            assertEquals(4, b.getLong(64 + 8));
            assertEquals(128, b.getLong(64 + 16));
            assertEquals(40, b.getLong(64 + 24));
            // field 1: int64 ids at the next 64-byte boundary; sample 3's id is at section + 3*8
            long sec1 = b.getLong(96 + 16);
            assertEquals(192, sec1);
            assertEquals(3, b.getLong((int) sec1 + 3 * 8));
            assertEquals(192 + 80, sh.bytes(), "the shard ends right after the last section");
            try (Stream<Path> files = Files.list(store.root())) {
                assertEquals(2, files.count(), "manifest.json and the split directory, no temporary files");
            }
        }
    }
}
