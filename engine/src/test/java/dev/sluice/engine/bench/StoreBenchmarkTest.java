package dev.sluice.engine.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.s3local.LocalS3Server;
import dev.sluice.data.format.Dataset;
import dev.sluice.data.format.ShardInfo;
import dev.sluice.data.format.Split;
import dev.sluice.data.loader.LoaderConfig;
import dev.sluice.data.store.FileStore;
import dev.sluice.data.store.S3Store;
import dev.sluice.data.store.S3TestSupport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store benchmark's parts: the generated dataset and both passes over the local S3 server. */
class StoreBenchmarkTest {

    @TempDir
    Path tmp;

    @Test
    void generatedDatasetIsDeterministicSizedAsAskedAndReused() throws Exception {
        ImageDatasetGenerator gen = ImageDatasetGenerator.ofSize(3_000_000, 3, 32, 32, 400_000);
        assertEquals((3_000_000 + 3075) / 3076, gen.samples(), "3x32x32 images + an int32 label");
        long[] last = {0};
        assertTrue(gen.ensure(tmp.resolve("a"), n -> last[0] = n));
        assertEquals(gen.samples(), last[0], "progress reached the end");
        assertTrue(gen.ensure(tmp.resolve("b"), n -> { }));
        assertFalse(gen.ensure(tmp.resolve("a"), n -> { }), "an existing copy is reused");
        try (FileStore a = new FileStore(tmp.resolve("a")); FileStore b = new FileStore(tmp.resolve("b"))) {
            Split sa = Dataset.open(a).manifest().split("train");
            Split sb = Dataset.open(b).manifest().split("train");
            assertEquals(gen.samples(), sa.samples());
            assertTrue(sa.bytes() >= 3_000_000, "at least the size asked for: " + sa.bytes());
            assertTrue(sa.shards().size() >= 7, "shards of the size asked for");
            assertEquals(crcs(sa), crcs(sb), "same parameters, same bytes");
        }
        // other parameters: not reused, rewritten in place
        ImageDatasetGenerator other = ImageDatasetGenerator.ofSize(1_000_000, 3, 32, 32, 400_000);
        assertFalse(other.existsIn(tmp.resolve("a")));
        assertTrue(other.ensure(tmp.resolve("a"), n -> { }));
        try (FileStore a = new FileStore(tmp.resolve("a")); var files = Files.list(tmp.resolve("a/train"))) {
            assertEquals(other.samples(), Dataset.open(a).manifest().split("train").samples());
            assertEquals(Dataset.open(a).manifest().split("train").shards().size(), files.count(),
                    "no shard of the earlier generation is left behind");
        }
    }

    @Test
    void bothPassesReadTheWholeSplitThroughTheLocalServer() throws Exception {
        ImageDatasetGenerator gen = ImageDatasetGenerator.ofSize(2_000_000, 3, 32, 32, 300_000);
        Path dir = tmp.resolve("ds");
        gen.ensure(dir, n -> { });
        try (LocalS3Server server = LocalS3Server.start(dir, "bench");
             S3Store store = S3Store.open("s3://bench", S3TestSupport.options(server.endpoint()))) {
            Dataset ds = Dataset.open(store);
            Split split = ds.manifest().split("train");
            LoaderConfig cfg = LoaderConfig.training("train", 16, 1).withShuffle(true, 2).withIo(1, 64 * 1024, 4);
            StoreBenchmark bench = new StoreBenchmark(ds, cfg, null);
            assertEquals(3, bench.shardsInFlight());
            long sent = server.bytesSent();
            StoreBenchmark.Measurement raw = bench.raw();
            assertEquals(split.bytes(), raw.bytes());
            long parts = split.shards().stream().mapToLong(s -> (s.bytes() + 65535) / 65536).sum();
            assertEquals(parts, raw.requests(), "one ranged GET per part");
            assertEquals(split.bytes(), server.bytesSent() - sent, "the server sent exactly the shards");
            StoreBenchmark.Measurement ld = bench.loader(0);
            assertEquals(split.bytes(), ld.bytes());
            assertEquals(split.samples() / 16 * 16, ld.samples(), "full batches of the whole split");
            assertTrue(raw.mbPerSecond() > 0 && ld.samplesPerSecond() > 0);
            List<StoreBenchmark.Measurement> seen = new ArrayList<>();
            List<StoreBenchmark.Measurement> all = bench.run(1, 1, seen::add);
            assertEquals(all, seen);
            assertEquals(List.of("raw", "loader"), all.stream().map(StoreBenchmark.Measurement::mode).toList());
            assertEquals(0, store.stats().retries());
        }
    }

    private static List<String> crcs(Split s) {
        return s.shards().stream().map(ShardInfo::crc32cHex).toList();
    }
}
