package dev.sluice.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.adobe.testing.s3mock.junit5.S3MockExtension;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.sluice.data.format.Dataset;
import dev.sluice.data.format.ShardInfo;
import dev.sluice.data.loader.EpochStream;
import dev.sluice.data.loader.HostBatch;
import dev.sluice.data.loader.Loader;
import dev.sluice.data.loader.LoaderConfig;
import dev.sluice.data.loader.LoaderState;
import dev.sluice.data.loader.ShardCache;
import dev.sluice.data.memory.DirectAllocator;
import dev.sluice.data.store.FileStore;
import dev.sluice.data.store.S3Store;
import dev.sluice.data.store.S3TestSupport;
import dev.sluice.data.store.StoreOptions;
import dev.sluice.data.testing.SyntheticDatasets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import dev.sluice.data.store.ObjectStore;
import dev.sluice.data.store.Stores;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 3 end to end against a real S3 server (S3Mock): ingest to S3 through the CLI, inspect and
 * verify the copy, train from it to exactly the curve of the same data on disk, the per-epoch I/O
 * line and loader event, and the shard cache over an S3 source.
 */
class S3CliTest {

    @RegisterExtension
    static final S3MockExtension S3 = S3TestSupport.s3Mock();

    @TempDir
    static Path tmp;

    static Path local;
    static String s3;
    static String endpoint;

    /** Ingests the same IDX files to disk and to S3 (train in many small shards, test in one). */
    @BeforeAll
    static void ingest() throws Exception {
        endpoint = S3TestSupport.endpoint(S3);
        IdxFiles.write(tmp.resolve("tr-img.gz"), tmp.resolve("tr-lab.gz"), 2000, 11);
        IdxFiles.write(tmp.resolve("te-img.gz"), tmp.resolve("te-lab.gz"), 400, 12);
        local = tmp.resolve("bands");
        s3 = "s3://" + S3TestSupport.BUCKET + "/datasets/bands";
        for (String to : List.of(local.toString(), s3)) {
            String[] store = to.startsWith("s3://") ? s3Flags() : new String[0];
            CliRunner.Result r = CliRunner.run(Main.concat(new String[] {"ingest", "--from",
                "idx:" + tmp.resolve("tr-img.gz") + "," + tmp.resolve("tr-lab.gz"), "--to", to, "--split", "train",
                "--shard-size", "64KB", "--compress", "image"}, store));
            assertEquals(0, r.code(), r.all());
            assertTrue(r.out().contains("2,000 samples"), r.out());
            r = CliRunner.run(Main.concat(new String[] {"ingest", "--from",
                "idx:" + tmp.resolve("te-img.gz") + "," + tmp.resolve("te-lab.gz"), "--to", to, "--split", "test",
                "--compress", "image"},
                    store));
            assertEquals(0, r.code(), r.all());
        }
    }

    /** Endpoint flags for S3Mock: anonymous (it checks no signature), small parts. */
    static String[] s3Flags() {
        return new String[] {"--s3-endpoint", endpoint, "--anonymous", "--region", "us-east-1", "--part-size", "32KB"};
    }

    static StoreOptions options() {
        return S3TestSupport.options(endpoint).withPartBytes(1 << 20);
    }

    @Test
    void ingestToS3ThenInspectAndVerifyTheCopy() throws Exception {
        CliRunner.Result r = CliRunner.run(Main.concat(new String[] {"inspect", s3, "--shards"}, s3Flags()));
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("location  " + s3) && r.out().contains("2,000 samples")
                && r.out().contains("400 samples") && r.out().contains("zstd"), r.out());
        r = CliRunner.run(Main.concat(new String[] {"verify", s3}, s3Flags()));
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("are good") && r.out().contains(s3), r.out());

        // the S3 copy holds the same shards, byte for byte (same sizes and CRC32C), as the one on disk
        try (FileStore files = new FileStore(local); S3Store store = S3Store.open(s3, options())) {
            Dataset a = Dataset.open(files);
            Dataset b = Dataset.open(store);
            for (String split : List.of("train", "test")) {
                List<ShardInfo> x = a.manifest().split(split).shards();
                List<ShardInfo> y = b.manifest().split(split).shards();
                assertEquals(x.size(), y.size(), split);
                for (int i = 0; i < x.size(); i++) {
                    assertEquals(x.get(i).bytes(), y.get(i).bytes(), split + " shard " + i);
                    assertEquals(x.get(i).crc32c(), y.get(i).crc32c(), split + " shard " + i);
                }
            }
            assertTrue(a.manifest().split("train").shards().size() >= 4, "several train shards");
        }
    }

    @Test
    void trainingFromS3FollowsTheSameCurveAsFromDisk() throws Exception {
        Run disk = train(local.toString(), "disk", new String[0]);
        Run remote = train(s3, "s3", s3Flags());
        assertTrue(disk.accuracy >= 0.9, "learned from disk: " + disk.accuracy);
        assertEquals(disk.accuracy, remote.accuracy, "same test accuracy");
        assertEquals(disk.stepLosses, remote.stepLosses, "same loss curve, step by step");
        assertEquals(disk.epochs, remote.epochs, "same per-epoch train/eval loss and accuracy");
        assertTrue(disk.stepLosses.size() >= 4, "several logged steps: " + disk.stepLosses);

        // the I/O of each epoch: printed under the summary and logged; all of train read from S3
        long trainBytes;
        try (FileStore files = new FileStore(local)) {
            trainBytes = Dataset.open(files).manifest().split("train").bytes();
        }
        assertEquals(2, remote.loader.size());
        // an epoch's io counts what was read while it ran, which includes the next epoch's first shards
        // (fetched while this one ends): over the run, every shard of every epoch exactly once
        assertEquals(2 * trainBytes, remote.loader.stream().mapToLong(ev -> ev.get("bytes_read").getAsLong()).sum(),
                remote.loader.toString());
        long shards;
        try (FileStore files = new FileStore(local)) {
            shards = Dataset.open(files).manifest().split("train").shards().size();
        }
        // at least one ranged GET per shard per epoch (more when a shard is larger than a part)
        assertTrue(remote.loader.stream().mapToLong(ev -> ev.get("requests").getAsLong()).sum() >= 2 * shards,
                remote.loader.toString());
        for (JsonObject ev : remote.loader) {
            assertEquals(0, ev.get("retries").getAsLong(), "a healthy server needs no retry: " + ev);
            assertEquals(0.0, ev.get("cache_hit_rate").getAsDouble(), ev.toString());
            assertTrue(ev.get("data_wait_s").getAsDouble() >= 0, ev.toString());
        }
        List<String> io = remote.out.lines().filter(l -> l.startsWith("  io: ")).toList();
        assertEquals(2, io.size(), remote.out);
        assertTrue(io.get(0).matches("  io: [0-9.]+ MB in [0-9,]+ requests, 0 retries, cache hits 0%, data wait"
                + " [0-9.]+ s"), io.get(0));
        List<String> lines = remote.out.lines().toList();
        int summaries = 0;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).matches("epoch [12]/2: train loss.*")) {
                summaries++;
                // the summary's detail lines (per-step time split, io) follow it, indented
                assertTrue(lines.subList(i + 1, Math.min(lines.size(), i + 3)).stream()
                        .anyMatch(l -> l.startsWith("  io: ")), "the io line is under the epoch summary: " + remote.out);
            }
        }
        assertEquals(2, summaries, remote.out);
    }

    @Test
    void trainingThroughTheShardCacheReadsLaterEpochsFromDisk() throws Exception {
        Path cache = tmp.resolve("cache-cli");
        Run remote = train(s3, "cached", Main.concat(s3Flags(), "--cache-dir", cache.toString(), "--cache-bytes",
                "64MB"));
        Run plain = train(s3, "uncached", s3Flags());
        assertEquals(plain.stepLosses, remote.stepLosses, "the cache changes no sample");
        assertEquals(plain.accuracy, remote.accuracy);
        JsonObject first = remote.loader.get(0);
        JsonObject second = remote.loader.get(1);
        long trainBytes;
        try (FileStore files = new FileStore(local)) {
            trainBytes = Dataset.open(files).manifest().split("train").bytes();
        }
        // epoch 1 fetches every shard from S3 (filling the cache); epoch 2's shards are fetched while
        // epoch 1 ends, from the cache except those epoch 1 had not finished fetching yet
        long fromS3 = first.get("bytes_read").getAsLong() + second.get("bytes_read").getAsLong();
        long hits = first.get("cache_hits").getAsLong() + second.get("cache_hits").getAsLong();
        assertTrue(fromS3 >= trainBytes && fromS3 < 2 * trainBytes, "the cache saved S3 reads: " + remote.loader);
        assertTrue(hits > 0, remote.loader.toString());
        try (var files = Files.list(cache)) {
            assertTrue(files.anyMatch(p -> p.toString().endsWith(".shard")), "entries on disk");
        }
    }

    @Test
    void cacheSmallerThanTheDatasetEvictsAndServesTheSameSamplesFromS3() throws Exception {
        String location = "s3://" + S3TestSupport.BUCKET + "/datasets/synthetic";
        try (S3Store store = S3Store.open(location, options())) {
            SyntheticDatasets.write(store, tmp.resolve("stage-synthetic"), 900, 8, 8, 3, false, 20_000);
            Dataset ds = Dataset.open(store);
            var split = ds.manifest().split("train");
            long budget = 3 * split.maxShardBytes();
            assertTrue(budget < split.bytes() / 2, "budget well below the dataset: " + budget + " of " + split.bytes());
            LoaderConfig cfg = LoaderConfig.training("train", 25, 3).withIo(2, 8_192, 4);
            List<List<Long>> reference = batches(ds, cfg, null, 0);
            ShardCache cache = new ShardCache(tmp.resolve("cache-evict"), budget);
            long s3Before = store.stats().bytesRead();
            for (int round = 0; round < 3; round++) {
                assertEquals(reference, batches(ds, cfg, cache, 0), "same batches through the cache, round " + round);
                assertTrue(cache.sizeOnDisk() <= budget, "never above the budget: " + cache.sizeOnDisk());
            }
            assertTrue(cache.evictions() > 0, "evicted entries to stay in budget");
            assertEquals(split.shards().size() * 3L, cache.hits() + cache.misses(), "one lookup per shard load");
            // Repeating a scan in the same order under LRU may hit nothing; the end of the epoch,
            // resumed, needs the shards fetched last, which the cache must still hold.
            LoaderState nearEnd = LoaderState.start(cfg.seed(), 0).advance(1, 25L * (split.samples() / 25 - 2));
            long rounds = store.stats().bytesRead() - s3Before;
            assertTrue(rounds <= 3 * split.bytes() && rounds >= split.bytes(), rounds + " bytes from S3");
            long hitsBefore = cache.hits();
            long t0 = store.stats().bytesRead();
            List<List<Long>> tail = batchesFrom(ds, cfg, null, nearEnd);
            long uncached = store.stats().bytesRead() - t0;
            assertEquals(2, tail.size());
            assertEquals(reference.subList(reference.size() - 2, reference.size()), tail);
            long t1 = store.stats().bytesRead();
            assertEquals(tail, batchesFrom(ds, cfg, cache, nearEnd), "same samples from the cache");
            long cached = store.stats().bytesRead() - t1;
            assertTrue(cache.hits() > hitsBefore, "the most recently fetched shards were served from disk");
            assertTrue(cached < uncached, "hits saved S3 reads: " + cached + " vs " + uncached + " bytes");
        }
    }

    /** Sample ids of every batch of one epoch. */
    static List<List<Long>> batches(Dataset ds, LoaderConfig cfg, ShardCache cache, long epoch) throws IOException {
        return batchesFrom(ds, cfg, cache, LoaderState.start(cfg.seed(), epoch));
    }

    /** Sample ids of every batch from {@code state} to the end of its epoch. */
    static List<List<Long>> batchesFrom(Dataset ds, LoaderConfig cfg, ShardCache cache, LoaderState state)
            throws IOException {
        List<List<Long>> out = new ArrayList<>();
        try (Loader l = new Loader(ds, cfg, new DirectAllocator(), null, cache); EpochStream s = l.open(state)) {
            for (HostBatch next = s.next(); next != null; next = s.next()) {
                try (HostBatch b = next) {
                    List<Long> ids = new ArrayList<>(b.size());
                    for (int i = 0; i < b.size(); i++) {
                        ids.add(b.sampleId(i));
                    }
                    out.add(ids);
                }
            }
        }
        return out;
    }

    /** What one CLI training run printed and logged. */
    record Run(String out, double accuracy, List<Double> stepLosses, List<String> epochs, List<JsonObject> loader) {}

    /** Trains 2 epochs with a fixed seed and reads back the summary and metrics.jsonl. */
    static Run train(String data, String name, String[] extra) throws IOException {
        Path dir = tmp.resolve("run-" + name);
        String[] args = Main.concat(new String[] {"train", "--data", data, "--epochs", "2", "--batch-size", "25",
            "--lr", "0.003", "--seed", "7", "--run-dir", dir.toString(), "--json", "--progress", "never"}, extra);
        CliRunner.Result r = CliRunner.run(args);
        assertEquals(0, r.code(), r.all());
        // with --json the JSON lines are on stdout and the human lines (epoch summaries, io) on stderr
        return read(r.out() + r.err(), dir);
    }

    static Run read(String out, Path dir) throws IOException {
        String summary = out.lines().filter(l -> l.startsWith("{\"event\":\"summary\"")).findFirst().orElseThrow();
        double acc = JsonParser.parseString(summary).getAsJsonObject().get("test_accuracy").getAsDouble();
        List<Double> steps = new ArrayList<>();
        List<String> epochs = new ArrayList<>();
        List<JsonObject> loader = new ArrayList<>();
        for (String l : Files.readAllLines(dir.resolve("metrics.jsonl"))) {
            JsonObject o = JsonParser.parseString(l).getAsJsonObject();
            switch (o.get("event").getAsString()) {
                case "step" -> steps.add(o.get("loss").getAsDouble());
                case "epoch" -> epochs.add(o.get("train_loss").getAsDouble() + " " + o.get("train_accuracy")
                        + " " + o.get("eval_loss") + " " + o.get("eval_accuracy"));
                case "loader" -> loader.add(o);
                default -> { }
            }
        }
        return new Run(out, acc, steps, epochs, loader);
    }

    /** Checkpoints go to S3 as whole objects; --resume reads the newest back and the run completes. */
    @Test
    void checkpointsToS3AndResumesFromThere() throws Exception {
        String ckpts = "s3://" + S3TestSupport.BUCKET + "/runs/ckpt-test";
        Path run = tmp.resolve("s3ckpt");
        String[] base = Main.concat(new String[] {"--data", local.toString(), "--run-dir", run.toString(),
            "--checkpoint-dir", ckpts, "--epochs", "2", "--batch-size", "50", "--progress", "never",
            "--eval-split", "none", "--log-every", "1"}, s3Flags());
        CliRunner.Result r = CliRunner.run(Main.concat(base, "--max-steps", "30", "--checkpoint-every", "10"));
        assertEquals(0, r.code(), r.all());
        try (ObjectStore store = Stores.open(ckpts, options())) {
            List<String> keys = store.list("").stream().map(o -> o.key()).toList();
            assertEquals(List.of("ckpt-000000000010.ckpt", "ckpt-000000000020.ckpt", "ckpt-000000000030.ckpt"), keys);
        }
        // at the run's end (--max-steps 30) the newest checkpoint is read back from S3 and nothing is left
        r = CliRunner.run(Main.concat(base, "--max-steps", "30", "--resume"));
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("nothing left to train: " + ckpts + "/ckpt-000000000030.ckpt is at step 30"),
                r.out());
        // without the last checkpoint, as if the run had died before it: it resumes at step 20 and ends at 30
        try (ObjectStore store = Stores.open(ckpts, options())) {
            store.delete("ckpt-000000000030.ckpt");
        }
        r = CliRunner.run(Main.concat(base, "--max-steps", "30", "--resume"));
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("Resuming from " + ckpts + "/ckpt-000000000020.ckpt"), r.out());
        try (ObjectStore store = Stores.open(ckpts, options())) {
            assertTrue(store.exists("ckpt-000000000030.ckpt"), "the resumed run wrote its last checkpoint again");
        }
    }
}
