package dev.sluice.engine.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.sluice.data.format.Dataset;
import dev.sluice.data.loader.LoaderConfig;
import dev.sluice.data.store.FileStore;
import dev.sluice.engine.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shuffle figures on known orders, and {@code bench shuffle} end to end on a tiny generated dataset. */
class ShuffleBenchmarkTest {

    @TempDir
    Path tmp;

    @Test
    void figuresOfKnownOrders() {
        long[] starts = {0, 100, 200, 300};
        long[] stored = LongStream.range(0, 400).toArray();
        ShuffleQuality inOrder = ShuffleQuality.of(stored, starts, 50);
        assertEquals(0, inOrder.displacement());
        assertEquals(1, inOrder.spearman(), 1e-12);
        assertEquals(1, inOrder.adjacentKept());
        assertEquals(1, inOrder.shardsPerBatch());

        long[] reversed = LongStream.range(0, 400).map(i -> 399 - i).toArray();
        ShuffleQuality rev = ShuffleQuality.of(reversed, starts, 50);
        assertEquals(-1, rev.spearman(), 1e-12);
        assertEquals(0.5, rev.displacement(), 1e-9, "sum |2i - 399| / 400^2 = 0.5");
        assertEquals(0, rev.adjacentKept());

        // batches of 4 taking one sample from each shard in turn
        long[] interleaved = LongStream.range(0, 400).map(i -> (i % 4) * 100 + i / 4).toArray();
        assertEquals(4, ShuffleQuality.of(interleaved, starts, 4).shardsPerBatch());

        long[] big = LongStream.range(0, 100_000).toArray();
        ShuffleQuality u = ShuffleQuality.of(ShuffleQuality.uniform(big, 3), new long[] {0}, 64);
        assertEquals(1.0 / 3, u.displacement(), 0.01);
        assertEquals(0, u.spearman(), 0.02);
        assertTrue(u.adjacentKept() < 0.001);
        assertArrayEquals(big, ShuffleQuality.stored(ShuffleQuality.uniform(big, 3)));
    }

    @Test
    void passesDeliverWholeEpochsAndTheShuffledOnesMixAcrossTheWindow() throws Exception {
        Path dir = tmp.resolve("ds");
        ImageDatasetGenerator gen = new ImageDatasetGenerator(60, 3, 224, 224, 1 << 20);
        assertTrue(gen.ensure(dir, n -> { }), "written");
        assertFalse(gen.ensure(dir, n -> { }), "reused");
        try (FileStore store = new FileStore(dir)) {
            Dataset ds = Dataset.open(store);
            int shards = ds.manifest().split("train").shards().size();
            assertTrue(shards >= 8, "about 7 samples of 147 KiB per 1 MB shard: " + shards + " shards");
            ShuffleBenchmark bench = new ShuffleBenchmark(ds, LoaderConfig.training("train", 8, 5).withShuffle(true, 3));
            ShuffleBenchmark.Pass seq = bench.pass(false, 0, 2);
            ShuffleBenchmark.Pass shuf = bench.pass(true, 0, 2);
            assertEquals(120, seq.samples());
            assertEquals(120L * ImageDatasetGenerator.sampleBytes(3, 224, 224), seq.bytes());
            for (long[] order : seq.orders()) {
                assertArrayEquals(LongStream.range(0, 60).toArray(), order, "sequential: stored order");
            }
            assertEquals(2, shuf.orders().size());
            for (long[] order : shuf.orders()) {
                assertArrayEquals(LongStream.range(0, 60).toArray(), ShuffleQuality.stored(order), "one epoch");
            }
            assertTrue(!Arrays.equals(shuf.orders().get(0), shuf.orders().get(1)), "each epoch its own order");
            ShuffleQuality q = ShuffleQuality.of(shuf.orders().get(0), bench.shardStarts(), 8);
            // at most 3 shards are open at a time, one more for each that is used up and replaced within a batch
            assertTrue(q.shardsPerBatch() > 1.5 && q.shardsPerBatch() < 4.5, "a batch mixes the window: " + q);
            assertEquals(3, bench.memory().shuffleBytes() / ds.manifest().split("train").maxShardBytes());
        }
    }

    @Test
    void withoutWorkdirTheDatasetIsGeneratedUnderSluiceHome() throws Exception {
        Path home = tmp.resolve("home");
        String before = System.getProperty("sluice.home");
        System.setProperty("sluice.home", home.toString());
        StringWriter text = new StringWriter();
        int code;
        try {
            code = Main.run(new String[] {"bench", "shuffle", "--samples", "24", "--shard-size", "1MB",
                "--batch-size", "8", "--rounds", "1", "--epochs", "1", "--json"}, new PrintWriter(text, true),
                    new PrintWriter(text, true));
        } finally {
            if (before == null) {
                System.clearProperty("sluice.home");
            } else {
                System.setProperty("sluice.home", before);
            }
        }
        assertEquals(0, code, text.toString());
        // the same home as the imported Fashion-MNIST (DefaultDataset), not the user's real cache
        assertTrue(Files.isRegularFile(home.resolve("bench").resolve("shuffle-24-" + (1L << 20)).resolve("manifest.json")),
                "generated under " + home);
    }

    @Test
    void benchShuffleCommandPrintsQualityAndRatio() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
        int code;
        System.setOut(out);
        try {
            code = Main.run(new String[] {"bench", "shuffle", "--workdir", tmp.resolve("w").toString(), "--samples", "40",
                "--shard-size", "1MB", "--batch-size", "8", "--rounds", "1", "--epochs", "1", "--json"},
                    new PrintWriter(out, true), new PrintWriter(out, true));
        } finally {
            System.setOut(old);
        }
        String text = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, text);
        List<JsonObject> lines = new ArrayList<>();
        for (String l : text.split("\n")) {
            lines.add(JsonParser.parseString(l).getAsJsonObject());
        }
        assertEquals(List.of("setup", "sequential", "shuffled", "quality", "quality", "quality", "summary"),
                lines.stream().map(o -> o.get("mode").getAsString()).toList(), text);
        JsonObject setup = lines.get(0);
        assertEquals(40, setup.get("samples").getAsLong());
        assertTrue(setup.get("shuffle_buffer_samples").getAsLong() >= 4 * 6, text);
        JsonObject sluice = lines.get(3);
        assertEquals("sluice", sluice.get("order").getAsString());
        assertEquals("sequential", lines.get(5).get("order").getAsString());
        assertEquals(1.0, lines.get(5).get("spearman").getAsDouble(), 1e-12);
        assertTrue(sluice.get("spearman").getAsDouble() < 1.0, text);
        JsonObject summary = lines.get(6);
        assertTrue(summary.get("ratio").getAsDouble() > 0, text);
        assertEquals(0.9, summary.get("goal").getAsDouble());
    }
}
