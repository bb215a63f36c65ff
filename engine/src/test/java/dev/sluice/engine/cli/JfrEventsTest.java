package dev.sluice.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.adobe.testing.s3mock.junit5.S3MockExtension;
import dev.sluice.data.format.Dataset;
import dev.sluice.data.format.ShardInfo;
import dev.sluice.data.store.S3Store;
import dev.sluice.data.store.S3TestSupport;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A short training run from S3 under a JFR recording: the recording, read back with
 * {@code jdk.jfr.consumer}, holds a step event per training step and a fetch event per shard, with
 * fields that match the run (the manifest's shard sizes, the step count, non-negative times).
 */
class JfrEventsTest {

    @RegisterExtension
    static final S3MockExtension S3 = S3TestSupport.s3Mock();

    private static final int SAMPLES = 500;
    private static final int BATCH = 25;

    @TempDir
    Path tmp;

    @Test
    void recordingHoldsStepAndShardFetchEvents() throws Exception {
        String endpoint = S3TestSupport.endpoint(S3);
        String[] s3Flags = {"--s3-endpoint", endpoint, "--anonymous", "--region", "us-east-1", "--part-size",
            "32KB"};
        IdxFiles.write(tmp.resolve("tr-img.gz"), tmp.resolve("tr-lab.gz"), SAMPLES, 21);
        IdxFiles.write(tmp.resolve("te-img.gz"), tmp.resolve("te-lab.gz"), 100, 22);
        String s3 = "s3://" + S3TestSupport.BUCKET + "/datasets/jfr";
        for (String to : List.of(s3)) {
            String[] store = s3Flags;
            CliRunner.Result r = CliRunner.run(Main.concat(new String[] {"ingest", "--from",
                "idx:" + tmp.resolve("tr-img.gz") + "," + tmp.resolve("tr-lab.gz"), "--to", to, "--split", "train",
                "--shard-size", "64KB"}, store));
            assertEquals(0, r.code(), r.all());
            r = CliRunner.run(Main.concat(new String[] {"ingest", "--from",
                "idx:" + tmp.resolve("te-img.gz") + "," + tmp.resolve("te-lab.gz"), "--to", to, "--split", "test"},
                    store));
            assertEquals(0, r.code(), r.all());
        }
        Map<String, Long> shardBytes = new HashMap<>();
        try (S3Store store = S3Store.open(s3, S3TestSupport.options(endpoint))) {
            for (String split : List.of("train", "test")) {
                for (ShardInfo s : Dataset.open(store).manifest().split(split).shards()) {
                    shardBytes.put(s.key(), s.bytes());
                }
            }
        }

        Path jfr = tmp.resolve("run.jfr");
        try (Recording recording = new Recording()) {
            for (String name : List.of("dev.sluice.TrainingStep", "dev.sluice.ShardFetch", "dev.sluice.StoreRead")) {
                recording.enable(name).withoutThreshold();
            }
            recording.start();
            CliRunner.Result r = CliRunner.run(Main.concat(new String[] {"train", "--data", s3, "--epochs", "1",
                "--batch-size", Integer.toString(BATCH), "--seed", "3", "--run-dir", tmp.resolve("run").toString(),
                "--progress", "never"}, s3Flags));
            assertEquals(0, r.code(), r.all());
            recording.stop();
            recording.dump(jfr);
        }

        List<RecordedEvent> steps = new ArrayList<>();
        List<RecordedEvent> fetches = new ArrayList<>();
        List<RecordedEvent> reads = new ArrayList<>();
        for (RecordedEvent e : RecordingFile.readAllEvents(jfr)) {
            switch (e.getEventType().getName()) {
                case "dev.sluice.TrainingStep" -> steps.add(e);
                case "dev.sluice.ShardFetch" -> fetches.add(e);
                case "dev.sluice.StoreRead" -> reads.add(e);
                default -> { }
            }
        }

        // one step event per training step, numbered 1..N, with the split of its time
        assertEquals(SAMPLES / BATCH, steps.size());
        for (int i = 0; i < steps.size(); i++) {
            RecordedEvent s = steps.get(i);
            assertEquals(i + 1, s.getLong("step"));
            assertEquals(1, s.getInt("epoch"));
            assertEquals(0, s.getInt("replica"));
            assertTrue(s.getDuration("compute").toNanos() > 0, s.toString());
            for (String f : List.of("dataWait", "hostToDevice", "allReduce")) {
                assertTrue(s.getDuration(f).toNanos() >= 0, f + ": " + s);
            }
        }

        // a fetch event per shard load, sized as the manifest says; all of train was fetched
        assertFalse(fetches.isEmpty());
        List<String> fetchedKeys = new ArrayList<>();
        for (RecordedEvent f : fetches) {
            String key = f.getString("key");
            fetchedKeys.add(key);
            assertEquals(shardBytes.get(key), f.getLong("bytes"), "bytes of " + key);
            int parts = f.getInt("parts");
            assertEquals((f.getLong("bytes") + (32 << 10) - 1) / (32 << 10), parts, "32 KB parts of " + key);
            assertEquals(parts, f.getInt("attempts"), "a healthy server: one attempt per part");
            assertFalse(f.getBoolean("hedged") && f.getInt("attempts") == 0);
            assertFalse(f.getBoolean("cached"));
            assertTrue(f.getDuration().toNanos() > 0);
        }
        for (String key : shardBytes.keySet()) {
            if (key.contains("train")) {
                assertTrue(fetchedKeys.contains(key), "fetched " + key + ": " + fetchedKeys);
            }
        }
        // the store's per-read events of shards add up to the shards fetched (the rest is the manifest)
        long readBytes = reads.stream().filter(e -> shardBytes.containsKey(e.getString("key")))
                .mapToLong(e -> e.getLong("bytes")).sum();
        long fetchedBytes = fetches.stream().mapToLong(e -> e.getLong("bytes")).sum();
        assertEquals(fetchedBytes, readBytes);
        assertTrue(reads.stream().allMatch(e -> e.getInt("attempts") == 1));
    }
}
