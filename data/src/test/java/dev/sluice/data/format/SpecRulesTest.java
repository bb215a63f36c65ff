package dev.sluice.data.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.ZstdOutputStream;
import dev.sluice.data.store.FileStore;
import dev.sluice.data.testing.SyntheticDatasets;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The reader rules docs/FORMAT.md section 5 settles, each with the exception it names. */
class SpecRulesTest {

    @TempDir
    Path tmp;

    static void assertNames(Throwable e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "message '" + e.getMessage() + "' should mention " + p);
        }
    }

    private Path synthetic(FileStore store) throws Exception {
        SyntheticDatasets.write(store, tmp.resolve("st"), 20, 2, 2, 1, false, 1 << 20);
        return store.root().resolve(Manifest.KEY);
    }

    @ParameterizedTest(name = "version \"{0}\"")
    @ValueSource(strings = {"1", "1.0.0", "v1.0", "1.x", ""})
    void aVersionThatIsNotMajorDotMinorIsAManifestError(String version) throws Exception {
        try (FileStore store = new FileStore(tmp.resolve("ds"))) {
            Path mf = synthetic(store);
            Files.writeString(mf, Files.readString(mf).replace("\"version\": \"1.0\"", "\"version\": \"" + version + "\""));
            ManifestException e = assertThrows(ManifestException.class, () -> Dataset.open(store));
            assertNames(e, "manifest.json", "MAJOR.MINOR");
        }
    }

    @Test
    void aLaterMinorVersionIsRead() throws Exception {
        try (FileStore store = new FileStore(tmp.resolve("ds"))) {
            Path mf = synthetic(store);
            Files.writeString(mf, Files.readString(mf).replace("\"version\": \"1.0\"", "\"version\": \"1.7\"")
                    .replace("\"name\": \"synthetic\"", "\"name\": \"synthetic\", \"added_in_1_7\": {\"x\": 1}"));
            assertEquals(7, Dataset.open(store).manifest().minor());
        }
    }

    @ParameterizedTest(name = "key {0}")
    @ValueSource(strings = {"../outside.shard", "/abs.shard", "train/../../x.shard", "train//x.shard",
            ".hidden.shard", "train/.tmp-1.shard", "train\\\\x.shard"})
    void unsafeShardKeysAreRefused(String key) throws Exception {
        try (FileStore store = new FileStore(tmp.resolve("ds"))) {
            Path mf = synthetic(store);
            String json = Files.readString(mf).replaceFirst("\"key\": \"[^\"]+\"",
                    java.util.regex.Matcher.quoteReplacement("\"key\": \"" + key + "\""));
            Files.writeString(mf, json);
            ManifestException e = assertThrows(ManifestException.class, () -> Dataset.open(store));
            assertNames(e, "manifest.json", "unsafe");
        }
    }

    @Test
    void aFractionalNumberIsRefusedNotTruncated() throws Exception {
        try (FileStore store = new FileStore(tmp.resolve("ds"))) {
            Path mf = synthetic(store);
            String good = Files.readString(mf);
            for (String[] c : new String[][] {{"\"samples\": 20,", "\"samples\": 20.5,"},
                    {"\"shape\": \\[\\s*2,", "\"shape\": [2.5,"}}) {
                String json = good.replaceFirst(c[0], c[1]);
                assertFalse(json.equals(good), c[0]);
                Files.writeString(mf, json);
                ManifestException e = assertThrows(ManifestException.class, () -> Dataset.open(store), c[1]);
                assertNames(e, "manifest.json", "not a whole number");
            }
        }
    }

    @Test
    void brokenJsonSaysWhereWithoutGsonsAdviceToProgrammers() throws Exception {
        try (FileStore store = new FileStore(tmp.resolve("ds"))) {
            Path mf = synthetic(store);
            Files.writeString(mf, "{\"format\": sluice dataset}");
            ManifestException e = assertThrows(ManifestException.class, () -> Dataset.open(store));
            assertNames(e, "manifest.json", "not valid JSON", "line 1");
            assertFalse(e.getMessage().contains("setStrictness") || e.getMessage().contains("LENIENT")
                    || e.getMessage().contains("https://"), e.getMessage());
        }
    }

    @Test
    void aSplitWhoseClassNamesDifferSaysSo() throws Exception {
        try (FileStore store = new FileStore(tmp.resolve("ds"))) {
            Schema a = Schema.of(FieldSpec.of("x", DType.UINT8), FieldSpec.of("label", DType.UINT8)
                    .withClasses(List.of("cat", "dog")));
            Schema b = Schema.of(FieldSpec.of("x", DType.UINT8), FieldSpec.of("label", DType.UINT8)
                    .withClasses(List.of("ant", "bee")));
            Manifest m;
            try (DatasetWriter w = new DatasetWriter(store, "d", a, 1 << 20, tmp.resolve("s1"), Map.of(), null)) {
                w.add("train", ByteBuffer.allocate(1), ByteBuffer.allocate(1));
                m = w.commit();
            }
            ShapeMismatchException e = assertThrows(ShapeMismatchException.class,
                    () -> new DatasetWriter(store, "d", b, 1 << 20, tmp.resolve("s2"), Map.of(), m));
            assertNames(e, "'label'", "other class names", "[cat, dog]", "[ant, bee]");
        }
    }

    /** Shard bytes with a patch, the header CRC re-sealed and the manifest's size and CRC updated. */
    private static ShardInfo rewrite(FileStore store, ShardInfo sh, byte[] bytes) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int indexEnd = 64 + (int) b.getLong(24);
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, 52);
        crc.update(bytes, 64, indexEnd - 64);
        b.putInt(52, (int) crc.getValue());
        Files.write(store.root().resolve(sh.key()), bytes);
        CRC32C all = new CRC32C();
        all.update(bytes);
        return new ShardInfo(sh.key(), sh.samples(), bytes.length, all.getValue());
    }

    private static ShardView load(FileStore store, Manifest m, ShardInfo sh) throws Exception {
        Manifest patched = m.withSplit(new Split("train", List.of(sh)), m.created());
        return Dataset.of(store, patched).load(sh, ByteBuffer.allocateDirect((int) sh.bytes()), true);
    }

    @Test
    void trailingBytesAfterTheLastSectionAreDamage() throws Exception {
        try (FileStore store = new FileStore(tmp.resolve("ds"))) {
            synthetic(store);
            Manifest m = Dataset.open(store).manifest();
            ShardInfo sh = m.split("train").shards().get(0);
            byte[] bytes = Files.readAllBytes(store.root().resolve(sh.key()));
            byte[] longer = Arrays.copyOf(bytes, bytes.length + 5);
            ByteBuffer.wrap(longer).order(ByteOrder.LITTLE_ENDIAN).putLong(40, longer.length); // shardBytes
            ShardInfo patched = rewrite(store, sh, longer);
            CorruptShardException e = assertThrows(CorruptShardException.class, () -> load(store, m, patched));
            assertNames(e, sh.key(), "after the last section");
        }
    }

    @Test
    void aSectionMovedOffItsAlignedPlaceIsDamage() throws Exception {
        try (FileStore store = new FileStore(tmp.resolve("ds"))) {
            synthetic(store);
            Manifest m = Dataset.open(store).manifest();
            ShardInfo sh = m.split("train").shards().get(0);
            byte[] bytes = Files.readAllBytes(store.root().resolve(sh.key()));
            ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            long sec1 = b.getLong(96 + 16);
            b.putLong(96 + 16, sec1 - 8); // field 1 now overlaps the padding, 8 bytes early and unaligned
            ShardInfo patched = rewrite(store, sh, bytes);
            CorruptShardException e = assertThrows(CorruptShardException.class, () -> load(store, m, patched));
            assertNames(e, sh.key(), "'id'", "must start at " + sec1);
        }
    }

    @Test
    void aSequenceValueThatIsNotWholeElementsIsDamage() throws Exception {
        try (FileStore store = new FileStore(tmp.resolve("ds"))) {
            Schema schema = Schema.of(FieldSpec.sequence("tokens", DType.INT32));
            Manifest m;
            try (DatasetWriter w = new DatasetWriter(store, "t", schema, 1 << 20, tmp.resolve("st"), Map.of(), null)) {
                w.add("train", ByteBuffer.allocate(8));
                w.add("train", ByteBuffer.allocate(4));
                m = w.commit();
            }
            ShardInfo sh = m.split("train").shards().get(0);
            byte[] bytes = Files.readAllBytes(store.root().resolve(sh.key()));
            // index: one field entry (64..96), then offsets [0, 8, 12]: make the first value 6 bytes
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(96 + 8, 6);
            ShardInfo patched = rewrite(store, sh, bytes);
            CorruptShardException e = assertThrows(CorruptShardException.class, () -> load(store, m, patched));
            assertNames(e, sh.key(), "'tokens'", "sample 0", "whole number of int32");
        }
    }

    @Test
    void aVariableZstdValueMustRecordItsContentSize() throws Exception {
        try (FileStore store = new FileStore(tmp.resolve("ds"))) {
            Schema schema = Schema.of(FieldSpec.string("text").withCompression(Compression.ZSTD));
            Manifest m;
            byte[] text = "the same words, the same words, the same words".getBytes(StandardCharsets.UTF_8);
            try (DatasetWriter w = new DatasetWriter(store, "t", schema, 1 << 20, tmp.resolve("st"), Map.of(), null)) {
                w.add("train", ByteBuffer.wrap(text));
                m = w.commit();
            }
            ShardInfo sh = m.split("train").shards().get(0);
            assertEquals(ByteBuffer.wrap(text), Dataset.of(store, m).readValue("train", 0, 0));
            // the same text as a streaming frame, which does not record its size
            ByteArrayOutputStream frame = new ByteArrayOutputStream();
            try (ZstdOutputStream z = new ZstdOutputStream(frame)) {
                z.write(text);
            }
            byte[] f = frame.toByteArray();
            byte[] bytes = Files.readAllBytes(store.root().resolve(sh.key()));
            ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            long section = b.getLong(64 + 16);
            byte[] out = Arrays.copyOf(bytes, (int) section + f.length);
            System.arraycopy(f, 0, out, (int) section, f.length);
            ByteBuffer o = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
            o.putLong(40, out.length);          // shardBytes
            o.putLong(64 + 24, f.length);       // sectionBytes
            o.putLong(96 + 8, f.length);        // off[1]
            ShardInfo patched = rewrite(store, sh, out);
            ShardView v = load(store, m, patched);
            CorruptShardException e = assertThrows(CorruptShardException.class, () -> v.valueBytes(0, 0));
            assertNames(e, sh.key(), "'text'", "content size");
        }
    }

    @Test
    void verifyReportsEveryBadShardInOneRun() throws Exception {
        try (FileStore store = new FileStore(tmp.resolve("ds"))) {
            Manifest m = SyntheticDatasets.write(store, tmp.resolve("st"), 200, 4, 4, 1, false, 1_500);
            List<ShardInfo> shards = m.split("train").shards();
            assertTrue(shards.size() >= 4);
            Path truncated = store.root().resolve(shards.get(0).key());
            Files.write(truncated, Arrays.copyOf(Files.readAllBytes(truncated), 100));
            Files.delete(store.root().resolve(shards.get(1).key()));
            Path flipped = store.root().resolve(shards.get(3).key());
            byte[] all = Files.readAllBytes(flipped);
            all[all.length - 1] ^= 1;
            Files.write(flipped, all);

            List<Verifier.ShardCheck> checks = new Verifier(Dataset.openManifest(store)).verify(c -> { });
            assertEquals(shards.size(), checks.size());
            assertNames(new Exception(checks.get(0).problem()), shards.get(0).key(), "truncated");
            assertNames(new Exception(checks.get(1).problem()), shards.get(1).key(), "missing");
            assertTrue(checks.get(2).ok(), checks.get(2).problem());
            assertNames(new Exception(checks.get(3).problem()), shards.get(3).key(), "CRC32C");
            for (int i = 4; i < checks.size(); i++) {
                assertTrue(checks.get(i).ok(), checks.get(i).problem());
            }
        }
    }
}
