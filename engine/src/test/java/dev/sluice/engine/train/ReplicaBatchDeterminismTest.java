package dev.sluice.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.sluice.engine.cli.Main;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The augmented batches the replicas of a real training run receive (the trainer with DJL, JPEGs
 * written by ImageIO and imported with {@code ingest --from imagefolder:}, random-resized-crop and
 * flip): with one seed, the two replicas of {@code --devices cpu:2} (batch 8 each) together receive,
 * in every epoch, exactly the augmented samples that the one replica of {@code cpu:1} (batch 16)
 * receives, byte for byte, as float inputs after normalization, with their labels. It is the epoch
 * that matches, not each step: which samples form a step depends on the number of ranks by design
 * (each rank draws its own block of the epoch, docs/LOADER.md section 4), while a sample's
 * augmentation depends only on (seed, epoch, sample id).
 */
class ReplicaBatchDeterminismTest {

    @TempDir
    static Path tmp;

    static Path data;

    /** 64 training images: 4 steps of 16 on one replica, 4 steps of 8 on each of two. */
    static final int SAMPLES = 64;
    static final int EPOCHS = 2;

    @BeforeAll
    static void jpegs() throws Exception {
        Random rnd = new Random(5);
        Path folder = tmp.resolve("folder");
        for (String split : List.of("train", "test")) {
            int n = split.equals("train") ? SAMPLES : 12;
            for (int i = 0; i < n; i++) {
                // sizes vary, so crops differ in shape; blocks of colour, so every crop shows something else
                int w = 20 + rnd.nextInt(30);
                int h = 20 + rnd.nextInt(30);
                BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
                Graphics2D g = img.createGraphics();
                for (int b = 0; b < 6; b++) {
                    g.setColor(new Color(rnd.nextInt(0x1000000)));
                    g.fillRect(rnd.nextInt(w), rnd.nextInt(h), 4 + rnd.nextInt(w), 4 + rnd.nextInt(h));
                }
                g.dispose();
                Path file = folder.resolve(split).resolve("class" + i % 3).resolve(i + ".jpg");
                Files.createDirectories(file.getParent());
                ImageIO.write(img, "jpeg", file.toFile());
            }
        }
        data = tmp.resolve("data");
        StringWriter out = new StringWriter();
        int code = Main.run(new String[] {"ingest", "--from", "imagefolder:" + folder, "--to", data.toString(),
            "--shard-size", "16KB"}, new PrintWriter(out, true), new PrintWriter(out, true));
        assertEquals(0, code, out.toString());
    }

    /** What each replica received: rank to epoch to global step to the batch's samples. */
    record Received(Map<Integer, Map<Integer, Map<Long, List<String>>>> batches) {

        /** Every sample of the epoch over all ranks, as {@code label:inputs} strings, sorted (a multiset). */
        List<String> epoch(int epoch) {
            List<String> all = new ArrayList<>();
            batches.values().forEach(byEpoch -> byEpoch.getOrDefault(epoch, Map.of()).values().forEach(all::addAll));
            Collections.sort(all);
            return all;
        }
    }

    static Received train(String devices, int batch, String run) throws Exception {
        TrainConfig cfg = TrainingRun.builder().data(data.toString()).model("mlp").epochs(EPOCHS).batchSize(batch)
                .seed(21).devices(devices).images(16, "rrc,flip").loader(4, 2).runDir(tmp.resolve(run)).build()
                .config();
        Map<Integer, Map<Integer, Map<Long, List<String>>>> seen = new ConcurrentHashMap<>();
        BatchTap tap = (rank, epoch, step, b) -> {
            byte[] inputs = b.inputs().toByteArray();
            long[] labels = b.labels().toLongArray();
            int per = inputs.length / b.size();
            List<String> samples = new ArrayList<>();
            for (int k = 0; k < b.size(); k++) {
                byte[] one = java.util.Arrays.copyOfRange(inputs, k * per, (k + 1) * per);
                samples.add(labels[k] + ":" + Base64.getEncoder().encodeToString(one));
            }
            seen.computeIfAbsent(rank, r -> new TreeMap<>()).computeIfAbsent(epoch, e -> new TreeMap<>())
                    .put(step, samples);
        };
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        new Trainer(cfg, quiet, Map.of(), false, null).tapBatches(tap).run();
        return new Received(seen);
    }

    @Test
    void twoReplicasTogetherReceiveTheAugmentedSamplesOfOneReplicaByteForByte() throws Exception {
        Received one = train("cpu:1", 16, "one");
        Received two = train("cpu:2", 8, "two");
        assertEquals(List.of(0), List.copyOf(one.batches().keySet()));
        assertEquals(List.of(0, 1), two.batches().keySet().stream().sorted().toList());
        for (int rank : List.of(0, 1)) {
            for (int e = 1; e <= EPOCHS; e++) {
                Map<Long, List<String>> steps = two.batches().get(rank).get(e);
                assertEquals(4, steps.size(), "rank " + rank + " epoch " + e + ": steps " + steps.keySet());
                steps.values().forEach(s -> assertEquals(8, s.size()));
            }
        }
        for (int e = 1; e <= EPOCHS; e++) {
            List<String> a = one.epoch(e);
            List<String> b = two.epoch(e);
            assertEquals(SAMPLES, a.size(), "epoch " + e + " on one replica");
            assertEquals(SAMPLES, a.stream().distinct().count(), "every sample's image differs from the others");
            assertEquals(a, b, "epoch " + e + ": the two replicas together receive exactly the one replica's samples");
        }
        assertNotEquals(one.epoch(1), one.epoch(2), "each epoch draws new crops and flips");
    }
}
