package dev.sluice.data.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.data.store.FileStore;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Shard keys spread over hashed prefixes; an ordinary reader reads every sample back. */
class HashedPrefixesTest {

    @TempDir
    Path tmp;

    @Test
    void keysSpreadOverHashedPrefixesAndReadersNeedNothingNew() throws Exception {
        Schema schema = Schema.of(FieldSpec.of("x", DType.INT64), FieldSpec.string("name"));
        int samples = 400;
        try (FileStore store = new FileStore(tmp.resolve("ds"))) {
            try (DatasetWriter w = new DatasetWriter(store, "hashed", schema, 256, tmp.resolve("stage"), Map.of(), null)
                    .withHashedPrefixes(16)) {
                for (int i = 0; i < samples; i++) {
                    w.add("train", ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1000L + i),
                            ByteBuffer.wrap(("sample " + i).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                }
                w.commit();
            }

            // a reader that knows nothing of hashing: open the manifest, read every value
            Dataset ds = Dataset.open(store);
            Split split = ds.manifest().split("train");
            assertEquals(samples, split.samples());
            Set<String> prefixes = new HashSet<>();
            for (ShardInfo s : split.shards()) {
                assertTrue(s.key().matches("train/[0-9a-f]/train-[0-9a-f]{8}-[0-9]{5}\\.shard"), s.key());
                assertTrue(store.exists(s.key()), s.key());
                prefixes.add(s.key().substring(0, s.key().lastIndexOf('/')));
            }
            int shards = split.shards().size();
            assertTrue(shards >= 20, "many shards: " + shards);
            // 20+ shards over 16 hashed prefixes: far from all under one
            assertTrue(prefixes.size() >= 8, prefixes.size() + " prefixes for " + shards + " shards: " + prefixes);
            for (int i = 0; i < samples; i++) {
                assertEquals(1000L + i, ds.readValue("train", i, 0).order(ByteOrder.LITTLE_ENDIAN).getLong(0));
                ByteBuffer name = ds.readValue("train", i, 1);
                byte[] b = new byte[name.remaining()];
                name.get(b);
                assertEquals("sample " + i, new String(b, java.nio.charset.StandardCharsets.UTF_8));
            }
            assertTrue(new Verifier(ds).verify(c -> { }).stream().allMatch(Verifier.ShardCheck::ok), "verify");
        }
    }
}
