package dev.sluice.data.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.sluice.data.store.FileStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/reader/sluice_reader.py, a reader written from docs/FORMAT.md alone in Python (standard
 * library plus the zstd command), reads what the Java writer wrote and finds every value the test put
 * in: the Java writer follows the spec, not only the Java reader.
 */
class IndependentReaderTest {

    @TempDir
    Path tmp;

    static JsonObject pythonRead(Path dataset) throws IOException, InterruptedException {
        Path script = Path.of(System.getProperty("user.dir")).getParent().resolve("docs/reader/sluice_reader.py");
        assertTrue(Files.exists(script), script + " exists");
        Process p = new ProcessBuilder("python3", script.toString(), dataset.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the Python reader finishes");
        assertEquals(0, p.exitValue(), "the Python reader accepts the dataset: " + new String(out, StandardCharsets.UTF_8));
        return JsonParser.parseString(new String(out, StandardCharsets.UTF_8)).getAsJsonObject();
    }

    @Test
    void thePythonReaderFindsEveryValueOfEveryKind() throws Exception {
        Schema schema = Schema.of(
                FieldSpec.of("pixels", DType.UINT8, 3, 2),
                FieldSpec.of("emb", DType.FLOAT32, 4).withCompression(Compression.ZSTD),
                FieldSpec.bytes("jpg", "jpeg"),
                FieldSpec.string("text"),
                FieldSpec.string("note").withCompression(Compression.ZSTD),
                FieldSpec.sequence("tokens", DType.UINT32),
                FieldSpec.of("label", DType.INT64));
        List<List<String>> expected = new ArrayList<>();
        HexFormat hex = HexFormat.of();
        try (FileStore store = new FileStore(tmp.resolve("ds"))) {
            try (DatasetWriter w = new DatasetWriter(store, "kinds", schema, 2_000, tmp.resolve("st"), Map.of(), null)) {
                for (int i = 0; i < 60; i++) {
                    byte[] px = new byte[6];
                    for (int j = 0; j < 6; j++) {
                        px[j] = (byte) (i * 6 + j);
                    }
                    ByteBuffer emb = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
                    for (int j = 0; j < 4; j++) {
                        emb.putFloat(j * 4, i / (j + 1f));
                    }
                    byte[] jpg = i % 9 == 0 ? new byte[0] : VariableFieldsTest.jpeg(4 + i % 6, 3 + i % 4, i);
                    byte[] text = ("sample " + i + " ü").repeat(i % 4).getBytes(StandardCharsets.UTF_8);
                    byte[] note = ("note " + i + " ").repeat(1 + i % 5).getBytes(StandardCharsets.UTF_8);
                    ByteBuffer tokens = ByteBuffer.allocate(4 * (i % 5)).order(ByteOrder.LITTLE_ENDIAN);
                    for (int t = 0; t < i % 5; t++) {
                        tokens.putInt(t * 4, 0xfffffff0 + t); // above 2^31: unsigned 32-bit
                    }
                    ByteBuffer label = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, i % 3);
                    w.add("train", ByteBuffer.wrap(px), emb, ByteBuffer.wrap(jpg), ByteBuffer.wrap(text),
                            ByteBuffer.wrap(note), tokens, label);
                    expected.add(List.of(hex.formatHex(px), hex.formatHex(emb.array()), hex.formatHex(jpg),
                            hex.formatHex(text), hex.formatHex(note), hex.formatHex(tokens.array()),
                            hex.formatHex(label.array())));
                }
                assertTrue(w.commit().split("train").shards().size() > 3, "several shards");
            }
        }
        JsonObject read = pythonRead(tmp.resolve("ds"));
        assertEquals("1.1", read.get("version").getAsString());
        JsonArray rows = read.getAsJsonObject("splits").getAsJsonArray("train");
        assertEquals(expected.size(), rows.size());
        for (int i = 0; i < rows.size(); i++) {
            List<String> got = new ArrayList<>();
            rows.get(i).getAsJsonArray().forEach(v -> got.add(v.getAsString()));
            assertEquals(expected.get(i), got, "sample " + i);
        }
    }

    @Test
    void thePythonReaderReadsTheGolden10Dataset() throws Exception {
        JsonObject read = pythonRead(GoldenFormat10Test.golden());
        assertEquals("1.0", read.get("version").getAsString());
        JsonArray test = read.getAsJsonObject("splits").getAsJsonArray("test");
        assertEquals(7, test.size());
        for (int i = 0; i < 7; i++) {
            ByteBuffer[] want = GoldenFormat10Test.sample(i);
            for (int f = 0; f < 3; f++) {
                assertEquals(HexFormat.of().formatHex(want[f].array()), test.get(i).getAsJsonArray().get(f).getAsString());
            }
        }
    }
}
