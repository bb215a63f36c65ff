package dev.sluice.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.sluice.data.format.DType;
import dev.sluice.data.format.DatasetWriter;
import dev.sluice.data.format.FieldSpec;
import dev.sluice.data.format.Schema;
import dev.sluice.data.store.FileStore;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images that do not decode, in training: with batches of one, each bad image leaves an empty
 * batch, which the trainer skips; {@code --strict-decode} fails the run instead, naming the sample.
 */
class BadImageTrainingTest {

    @TempDir
    static Path tmp;

    static Path data;

    static final int GOOD = 24;
    static final int BAD = 6;

    /** 24 real JPEGs and 6 samples of text bytes in the train split; 10 real JPEGs in the test split. */
    @BeforeAll
    static void dataset() throws Exception {
        assumeTrue(Files.isDirectory(JpegFolders.FASHION), "install Debian's dataset-fashion-mnist");
        Path folder = tmp.resolve("folder");
        JpegFolders.write(folder, "train", "train", GOOD, 11);
        JpegFolders.write(folder, "test", "t10k", 10, 12);
        data = tmp.resolve("data");
        Schema schema = Schema.of(FieldSpec.bytes("image", "jpeg"),
                FieldSpec.of("label", DType.INT64).withClasses(JpegFolders.CLASSES));
        ByteBuffer label = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        try (FileStore store = new FileStore(data);
             DatasetWriter w = new DatasetWriter(store, "bad", schema, 8 << 10, tmp.resolve("staging"), Map.of(), null)) {
            for (String split : List.of("train", "test")) {
                List<Path> files;
                try (Stream<Path> s = Files.walk(folder.resolve(split))) {
                    files = s.filter(p -> p.toString().endsWith(".jpg")).sorted().toList();
                }
                int k = 0;
                for (Path f : files) {
                    long cls = JpegFolders.CLASSES.indexOf(f.getParent().getFileName().toString());
                    w.add(split, ByteBuffer.wrap(Files.readAllBytes(f)), label.clear().putLong(0, cls));
                    if (split.equals("train") && k++ < BAD) {
                        w.add(split, ByteBuffer.wrap(("not an image " + k).getBytes(StandardCharsets.UTF_8)),
                                label.clear().putLong(0, cls));
                    }
                }
            }
            w.commit();
        }
    }

    @Test
    void emptyBatchesOfUndecodableImagesAreSkippedAndStrictDecodingFails() throws Exception {
        CliRunner.Result r = CliRunner.run("train", "--data", data.toString(), "--model", "cnn", "--image-size", "28",
                "--epochs", "1", "--batch-size", "1", "--devices", "cpu", "--run-dir", tmp.resolve("run").toString(),
                "--json", "--progress", "never");
        assertEquals(0, r.code(), r.all());
        String summary = r.out().lines().filter(l -> l.startsWith("{\"event\":\"summary\"")).findFirst().orElseThrow();
        JsonObject s = JsonParser.parseString(summary).getAsJsonObject();
        assertEquals(GOOD, s.get("steps").getAsLong(), "one step per decodable image: " + summary);
        assertEquals(10, s.get("eval_samples").getAsLong(), summary);

        CliRunner.Result strict = CliRunner.run("train", "--data", data.toString(), "--model", "cnn", "--image-size",
                "28", "--epochs", "1", "--batch-size", "1", "--devices", "cpu", "--strict-decode",
                "--run-dir", tmp.resolve("strict").toString(), "--progress", "never");
        assertNotEquals(0, strict.code(), strict.all());
        assertTrue(strict.all().contains("could not decode") && strict.all().contains("sample"), strict.all());
    }
}
