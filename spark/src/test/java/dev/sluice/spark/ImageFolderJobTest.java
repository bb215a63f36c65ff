package dev.sluice.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.data.format.Dataset;
import dev.sluice.data.ingest.ImageFolderImporter;
import dev.sluice.data.ingest.Ingest;
import dev.sluice.data.format.DType;
import dev.sluice.data.format.FieldSpec;
import dev.sluice.data.format.Manifest;
import dev.sluice.data.format.Schema;
import dev.sluice.data.store.FileStore;
import dev.sluice.data.store.ObjectStore;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The binaryFile image job against the single-process path on the same folder: same schema, same
 * splits, the same samples (image bytes and labels) in each split, as multisets (the job's order is
 * Spark's listing order, which is not defined).
 */
class ImageFolderJobTest {

    static SparkSession spark;

    @BeforeAll
    static void startSpark() {
        spark = SparkTestSession.start("local[2]");
    }

    @AfterAll
    static void stopSpark() {
        spark.stop();
    }

    @Test
    void sparkJobHoldsTheSameSamplesAsTheSingleProcessIngest(@TempDir Path tmp) throws IOException {
        Path folder = tmp.resolve("images");
        images(folder.resolve("train"), List.of("cat", "dog", "fish"), 20, 1);
        images(folder.resolve("val"), List.of("cat", "dog"), 8, 2);
        Files.writeString(folder.resolve("train/dog/notes.txt"), "not an image");
        Files.writeString(folder.resolve("README"), "files outside class directories belong to no class");

        Path sparkOut = tmp.resolve("spark-ds");
        ImageFolderJob.Result r = ImageFolderJob.write(spark, folder.toString(), sparkOut.toString(), "train", 3,
                SluiceWriteOptions.defaults().withShardBytes(16 << 10));
        assertEquals(1, r.skipped(), "notes.txt has no image signature");

        Path refOut = tmp.resolve("reference-ds");
        Manifest ref = reference(folder, refOut);

        try (ObjectStore a = new FileStore(sparkOut); ObjectStore b = new FileStore(refOut)) {
            Dataset fromSpark = Dataset.open(a);
            Dataset single = Dataset.open(b);
            assertEquals(single.schema(), fromSpark.schema());
            assertEquals(ref.splits().keySet(), fromSpark.manifest().splits().keySet());
            assertEquals(Schema.of(FieldSpec.bytes("image", "png"),
                    FieldSpec.of("label", DType.INT64).withClasses(List.of("cat", "dog", "fish"))), fromSpark.schema());
            for (String split : ref.splits().keySet()) {
                List<String> expected = multiset(single, split);
                assertEquals(split.equals("train") ? 60 : 16, expected.size());
                assertEquals(expected, multiset(fromSpark, split), "samples of split " + split);
            }
            assertTrue(fromSpark.manifest().split("train").shards().size() > 3, "several shards per task");
        }
    }

    /** The single-process dataset of the same folder, written by the importer behind {@code ingest --from imagefolder:}. */
    private static Manifest reference(Path folder, Path out) throws IOException {
        try (ObjectStore store = new FileStore(out)) {
            new Ingest(new ImageFolderImporter(folder, "train"), store,
                    Ingest.Options.defaults("reference", out.resolveSibling("reference-staging")).withShardBytes(16 << 10))
                    .run();
            return Dataset.open(store).manifest();
        }
    }

    /** A split's samples as sorted "image base64 | label" strings: equal lists mean equal multisets. */
    private static List<String> multiset(Dataset ds, String split) throws IOException {
        List<String> out = new ArrayList<>();
        for (byte[][] s : ReadBack.samples(ds, split)) {
            long label = ByteBuffer.wrap(s[1]).order(ByteOrder.LITTLE_ENDIAN).getLong();
            out.add(Base64.getEncoder().encodeToString(s[0]) + "|" + label);
        }
        out.sort(null);
        return out;
    }

    /** {@code perClass} random-pixel PNGs of varied sizes in each class directory. */
    private static void images(Path splitDir, List<String> classes, int perClass, long seed) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed);
        for (String c : classes) {
            Path dir = Files.createDirectories(splitDir.resolve(c));
            for (int i = 0; i < perClass; i++) {
                int w = 8 + rnd.nextInt(40);
                int h = 8 + rnd.nextInt(40);
                BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        img.setRGB(x, y, rnd.nextInt(1 << 24));
                    }
                }
                ImageIO.write(img, "png", dir.resolve(String.format("%s_%03d.png", c, i)).toFile());
            }
        }
    }
}
