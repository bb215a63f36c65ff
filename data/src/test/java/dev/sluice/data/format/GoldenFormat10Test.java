package dev.sluice.data.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.data.loader.EpochStream;
import dev.sluice.data.loader.HostBatch;
import dev.sluice.data.loader.Loader;
import dev.sluice.data.loader.LoaderConfig;
import dev.sluice.data.loader.LoaderState;
import dev.sluice.data.memory.DirectAllocator;
import dev.sluice.data.store.FileStore;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A dataset written by the format 1.0 writer (test resource {@code golden/format-1.0}, see its README)
 * stays readable, unchanged, and today's writer still writes such a dataset as 1.0, byte for byte.
 */
class GoldenFormat10Test {

    @TempDir
    Path tmp;

    static Path golden() throws URISyntaxException {
        return Path.of(GoldenFormat10Test.class.getResource("/golden/format-1.0/manifest.json").toURI()).getParent();
    }

    static Schema schema() {
        return Schema.of(FieldSpec.of("image", DType.UINT8, 4, 3, 1),
                FieldSpec.of("label", DType.UINT8).withClasses(List.of("even", "odd")),
                FieldSpec.of("score", DType.FLOAT32, 2).withCompression(Compression.ZSTD));
    }

    /** Sample {@code i} as the README describes it. */
    static ByteBuffer[] sample(int i) {
        ByteBuffer img = ByteBuffer.allocate(12);
        for (int j = 0; j < 12; j++) {
            img.put(j, (byte) (i * 16 + j));
        }
        ByteBuffer label = ByteBuffer.allocate(1).put(0, (byte) (i % 2));
        ByteBuffer score = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, i * 0.5f).putFloat(4, -i);
        return new ByteBuffer[] {img, label, score};
    }

    @Test
    void readsEverySampleOfThe10DatasetUnchanged() throws Exception {
        try (FileStore store = new FileStore(golden())) {
            Dataset ds = Dataset.open(store);
            assertEquals(1, ds.manifest().major());
            assertEquals(0, ds.manifest().minor());
            assertEquals(schema(), ds.schema());
            for (String split : new String[] {"train", "test"}) {
                long n = ds.manifest().split(split).samples();
                assertEquals(split.equals("train") ? 23 : 7, n);
                for (int i = 0; i < n; i++) {
                    ByteBuffer[] want = sample(i);
                    for (int f = 0; f < 3; f++) {
                        assertEquals(want[f], ds.readValue(split, i, f), split + " sample " + i + " field " + f);
                    }
                }
            }
            assertTrue(new Verifier(ds).verify(c -> { }).stream().allMatch(Verifier.ShardCheck::ok));
            // the loader streams it as before: every sample once per epoch, its label and image intact
            List<Integer> firstBytes = new ArrayList<>();
            LoaderConfig cfg = LoaderConfig.evaluation("train", 5).withFields(List.of("image", "label"));
            try (Loader loader = new Loader(ds, cfg, new DirectAllocator());
                 EpochStream epoch = loader.open(LoaderState.start(0, 0))) {
                for (HostBatch next = epoch.next(); next != null; next = epoch.next()) {
                    try (HostBatch b = next) {
                        for (int s = 0; s < b.size(); s++) {
                            int first = b.buffer(0).get(s * 12) & 0xff;
                            for (int j = 0; j < 12; j++) {
                                assertEquals((byte) (first + j), b.buffer(0).get(s * 12 + j));
                            }
                            assertEquals(first / 16 % 2, b.buffer(1).get(s), "label of the image starting " + first);
                            firstBytes.add(first);
                        }
                    }
                }
            }
            List<Integer> expected = new ArrayList<>();
            for (int i = 0; i < 23; i++) {
                expected.add(i * 16 & 0xff);
            }
            Collections.sort(firstBytes);
            Collections.sort(expected);
            assertEquals(expected, firstBytes);
        }
    }

    @Test
    void todaysWriterWritesTheSameBytesAsVersion10() throws Exception {
        try (FileStore store = new FileStore(tmp.resolve("ds"))) {
            try (DatasetWriter w = new DatasetWriter(store, "golden-1.0", schema(), 400, tmp.resolve("st"),
                    Map.of("source", "MakeGolden (format 1.0 writer)"), null)) {
                for (String split : new String[] {"train", "test"}) {
                    for (int i = 0; i < (split.equals("train") ? 23 : 7); i++) {
                        w.add(split, sample(i));
                    }
                }
                Manifest m = w.commit();
                assertEquals(0, m.minor(), "no 1.1 feature, so version 1.0");
                Manifest old = Dataset.open(new FileStore(golden())).manifest();
                for (String split : new String[] {"train", "test"}) {
                    List<ShardInfo> a = old.split(split).shards();
                    List<ShardInfo> b = m.split(split).shards();
                    assertEquals(a.size(), b.size());
                    for (int k = 0; k < a.size(); k++) {
                        assertArrayEquals(Files.readAllBytes(golden().resolve(a.get(k).key())),
                                Files.readAllBytes(store.root().resolve(b.get(k).key())), split + " shard " + k);
                        assertEquals(a.get(k).crc32c(), b.get(k).crc32c());
                    }
                }
            }
            assertTrue(Files.readString(store.root().resolve("manifest.json")).contains("\"version\": \"1.0\""));
        }
    }
}
