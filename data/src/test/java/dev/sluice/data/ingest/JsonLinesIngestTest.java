package dev.sluice.data.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.ZstdOutputStream;
import dev.sluice.data.format.DType;
import dev.sluice.data.format.Dataset;
import dev.sluice.data.store.FileStore;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonLinesIngestTest {

    @TempDir
    Path tmp;

    static final int N = 500;

    static String text(int i) {
        return "line " + i + (i % 7 == 0 ? " \u00e9t\u00e9 \u2603 \"quoted\"" : "");
    }

    static Path write(Path file, String content) throws IOException {
        String name = file.getFileName().toString();
        try (OutputStream raw = Files.newOutputStream(file);
             OutputStream out = name.endsWith(".gz") ? new GZIPOutputStream(raw)
                     : name.endsWith(".zst") ? new ZstdOutputStream(raw) : raw) {
            out.write(content.getBytes(StandardCharsets.UTF_8));
        }
        return file;
    }

    @ParameterizedTest
    @ValueSource(strings = {"data.jsonl", "data.jsonl.gz", "data.jsonl.zst"})
    void everyLineReadsBackAsWritten(String name) throws IOException {
        StringBuilder sb = new StringBuilder();
        // extra keys are ignored; key order varies; a blank line is ignored
        for (int i = 0; i < N; i++) {
            String t = new com.google.gson.Gson().toJson(text(i));
            sb.append(i % 2 == 0 ? "{\"text\":" + t + ",\"label\":" + (i - 250L) * 1_000_000_007L + ",\"ids\":[" + i + "," + (i + 1) + "],\"extra\":true}"
                    : "{\"ids\":[],\"label\":" + (i - 250L) * 1_000_000_007L + ",\"text\":" + t + "}");
            sb.append('\n');
            if (i == 10) {
                sb.append("\n");
            }
        }
        Path file = write(tmp.resolve(name), sb.toString());
        try (FileStore store = new FileStore(tmp.resolve("ds"));
             JsonLinesImporter imp = new JsonLinesImporter(file, "train", "text:string,label:int64,ids:int32[]")) {
            new Ingest(imp, store, Ingest.Options.defaults("t", tmp.resolve("st")).withShardBytes(4096)).run();
            Dataset ds = Dataset.open(store);
            assertEquals(DType.STRING, ds.schema().field("text").dtype());
            assertEquals(N, ds.manifest().split("train").samples());
            assertTrue(ds.manifest().split("train").shards().size() > 1);
            for (int i = 0; i < N; i++) {
                assertArrayEquals(text(i).getBytes(StandardCharsets.UTF_8),
                        ImageFolderIngestTest.bytes(ds.readValue("train", i, 0)), "line " + i);
                assertEquals((i - 250L) * 1_000_000_007L, ds.readValue("train", i, 1).order(ByteOrder.LITTLE_ENDIAN).getLong(0));
                ByteBuffer ids = ds.readValue("train", i, 2).order(ByteOrder.LITTLE_ENDIAN);
                if (i % 2 == 0) {
                    assertEquals(8, ids.remaining());
                    assertEquals(i, ids.getInt(0));
                    assertEquals(i + 1, ids.getInt(4));
                } else {
                    assertEquals(0, ids.remaining());
                }
            }
        }
    }

    @Test
    void aLineThatIsNotAnObjectIsNamedAndNothingIsLeft() throws IOException {
        Path file = write(tmp.resolve("bad.jsonl"), "{\"text\":\"a\"}\n{\"text\":\"b\"}\n[\"c\"]\n{\"text\":\"d\"}\n");
        Path out = tmp.resolve("ds");
        try (FileStore store = new FileStore(out);
             JsonLinesImporter imp = new JsonLinesImporter(file, "train", "text:string")) {
            InputException e = assertThrows(InputException.class,
                    () -> new Ingest(imp, store, Ingest.Options.defaults("t", tmp.resolve("st")).withShardBytes(1)).run());
            assertTrue(e.getMessage().contains(file + ":3") && e.getMessage().contains("array"), e.getMessage());
        }
        assertEquals(List.of(), ImageFolderIngestTest.keys(out));
    }

    @Test
    void aMissingFieldOrAnOutOfRangeNumberIsNamed() throws IOException {
        Path file = write(tmp.resolve("m.jsonl"), "{\"label\":1}\n{\"lab\":2}\n");
        try (FileStore store = new FileStore(tmp.resolve("ds"));
             JsonLinesImporter imp = new JsonLinesImporter(file, "train", "label:int64")) {
            InputException e = assertThrows(InputException.class,
                    () -> new Ingest(imp, store, Ingest.Options.defaults("t", tmp.resolve("st"))).run());
            assertTrue(e.getMessage().contains(file + ":2") && e.getMessage().contains("'label'"), e.getMessage());
        }
        Path big = write(tmp.resolve("r.jsonl"), "{\"label\":300}\n");
        try (FileStore store = new FileStore(tmp.resolve("ds2"));
             JsonLinesImporter imp = new JsonLinesImporter(big, "train", "label:uint8")) {
            InputException e = assertThrows(InputException.class,
                    () -> new Ingest(imp, store, Ingest.Options.defaults("t", tmp.resolve("st"))).run());
            assertTrue(e.getMessage().contains(big + ":1") && e.getMessage().contains("out of range"), e.getMessage());
        }
    }
}
