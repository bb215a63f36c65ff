package dev.sluice.data.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.sluice.data.store.FileStore;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Format 1.1: bytes with an encoding, strings and sequences of varying length read back as written. */
class VariableFieldsTest {

    @TempDir
    Path tmp;

    /** JPEGs of different sizes written by the JDK's encoder: the input the image importers store. */
    static byte[] jpeg(int w, int h, int seed) throws Exception {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, new Color((x * 7 + seed) & 0xff, (y * 5 + seed) & 0xff, (x + y) & 0xff).getRGB());
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(img, "jpeg", out));
        return out.toByteArray();
    }

    record Sample(byte[] image, String text, short[] tokens, long label) {}

    static List<Sample> samples() throws Exception {
        List<Sample> out = new ArrayList<>();
        String[] texts = {"", "hello", "Grüße, 世界 🌍", "a\nb\tc"};
        for (int i = 0; i < 40; i++) {
            short[] tokens = new short[i % 7]; // zero-length sequences too
            for (int t = 0; t < tokens.length; t++) {
                tokens[t] = (short) (60000 + i * 10 + t); // above 32767: stored as uint16
            }
            out.add(new Sample(jpeg(8 + i % 5 * 9, 6 + i % 3 * 11, i), texts[i % texts.length] + i, tokens, i % 3));
        }
        return out;
    }

    static ByteBuffer le(short[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (short s : v) {
            b.putShort(s);
        }
        return b.flip();
    }

    @ParameterizedTest(name = "zstd on text and tokens: {0}")
    @ValueSource(booleans = {false, true})
    void everyValueReadsBackAsWritten(boolean compress) throws Exception {
        Compression c = compress ? Compression.ZSTD : Compression.NONE;
        Schema schema = Schema.of(
                FieldSpec.bytes("image", "jpeg"),
                FieldSpec.string("text").withCompression(c),
                FieldSpec.sequence("tokens", DType.UINT16).withCompression(c),
                FieldSpec.of("label", DType.INT64).withClasses(List.of("a", "b", "c")));
        List<Sample> samples = samples();
        try (FileStore store = new FileStore(tmp.resolve("ds"))) {
            try (DatasetWriter w = new DatasetWriter(store, "var", schema, 4_000, tmp.resolve("st"), Map.of(), null)) {
                for (Sample s : samples) {
                    ByteBuffer label = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, s.label());
                    w.add("train", ByteBuffer.wrap(s.image()), ByteBuffer.wrap(s.text().getBytes(StandardCharsets.UTF_8)),
                            le(s.tokens()), label);
                }
                w.commit();
            }
            JsonObject m = JsonParser.parseString(Files.readString(store.root().resolve("manifest.json")))
                    .getAsJsonObject();
            assertEquals("1.1", m.get("version").getAsString(), "variable fields make the dataset 1.1");
            JsonObject image = m.getAsJsonArray("fields").get(0).getAsJsonObject();
            assertEquals("bytes", image.get("dtype").getAsString());
            assertEquals("jpeg", image.get("encoding").getAsString());
            assertEquals("[-1]", image.get("shape").toString());

            Dataset ds = Dataset.open(store);
            assertEquals(schema, ds.schema());
            assertTrue(ds.manifest().split("train").shards().size() > 2, "several shards");
            // random access
            for (int i = samples.size() - 1; i >= 0; i--) {
                Sample s = samples.get(i);
                assertArrayEquals(s.image(), bytes(ds.readValue("train", i, 0)), "image " + i);
                assertEquals(s.text(), new String(bytes(ds.readValue("train", i, 1)), StandardCharsets.UTF_8));
                assertEquals(le(s.tokens()), ds.readValue("train", i, 2), "tokens " + i);
                assertEquals(s.label(), ds.readValue("train", i, 3).order(ByteOrder.LITTLE_ENDIAN).getLong(0));
                // the JPEG bytes are stored as given: the JDK decodes them to the size they were written at
                BufferedImage back = ImageIO.read(new java.io.ByteArrayInputStream(s.image()));
                assertEquals(8 + i % 5 * 9, back.getWidth());
            }
            // whole shards, through views
            int next = 0;
            for (ShardInfo sh : ds.manifest().split("train").shards()) {
                ShardView v = ds.load(sh, ByteBuffer.allocateDirect((int) sh.bytes()), true);
                for (int i = 0; i < v.samples(); i++, next++) {
                    Sample s = samples.get(next);
                    assertEquals(ByteBuffer.wrap(s.image()), v.stored(0, i), "stored image " + next);
                    assertEquals(s.image().length, v.valueBytes(0, i));
                    byte[] text = s.text().getBytes(StandardCharsets.UTF_8);
                    ByteBuffer dst = ByteBuffer.allocate(text.length + 3);
                    assertEquals(text.length, v.copy(1, i, dst, 3));
                    assertEquals(ByteBuffer.wrap(text), dst.position(3));
                    assertEquals(s.tokens().length * 2, v.valueBytes(2, i));
                }
            }
            assertEquals(samples.size(), next);
            assertTrue(new Verifier(ds).verify(x -> { }).stream().allMatch(Verifier.ShardCheck::ok));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"odd-length sequence", "invalid UTF-8"})
    void writerRefusesValuesThatBreakTheirKind(String what) throws Exception {
        Schema schema = Schema.of(FieldSpec.string("text"), FieldSpec.sequence("tokens", DType.INT32));
        ShardWriter w = new ShardWriter(schema);
        FormatException e = assertThrows(FormatException.class, () -> {
            if (what.startsWith("odd")) {
                w.add(ByteBuffer.wrap("ok".getBytes(StandardCharsets.UTF_8)), ByteBuffer.allocate(6));
            } else {
                w.add(ByteBuffer.wrap(new byte[] {(byte) 0xc3, (byte) 0x28}), ByteBuffer.allocate(8));
            }
        });
        assertTrue(e.getMessage().contains(what.startsWith("odd") ? "'tokens'" : "'text'"), e.getMessage());
        assertEquals(0, w.samples(), "nothing of the refused sample was kept");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"bytes with shape [3]", "encoding on a string", "shape [-1, 2]", "sequence of strings"})
    void fieldsThatMakeNoSenseAreRefused(String what) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> {
            switch (what) {
                case "bytes with shape [3]" -> new FieldSpec("x", DType.BYTES, new long[] {3}, Compression.NONE, List.of());
                case "encoding on a string" -> new FieldSpec("x", DType.STRING, new long[] {-1}, Compression.NONE,
                        List.of(), "jpeg");
                case "shape [-1, 2]" -> new FieldSpec("x", DType.UINT8, new long[] {-1, 2}, Compression.NONE, List.of());
                default -> FieldSpec.sequence("x", DType.STRING);
            }
        });
        assertTrue(e.getMessage().contains("'x'"), e.getMessage());
        assertFalse(e.getMessage().isBlank());
    }

    static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
