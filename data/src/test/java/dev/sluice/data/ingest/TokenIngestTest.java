package dev.sluice.data.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.data.format.DType;
import dev.sluice.data.format.Dataset;
import dev.sluice.data.store.FileStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenIngestTest {

    @TempDir
    Path tmp;

    /** T tokens t_k = (k * 7919 + 3) mod 50257, written little-endian as numpy's tofile() would. */
    static Path write(Path file, int count, DType dtype) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(count * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        for (int k = 0; k < count; k++) {
            long t = (k * 7919L + 3) % 50257;
            if (dtype == DType.UINT16) {
                b.putShort((short) t);
            } else {
                b.putInt((int) (t + 70_000));
            }
        }
        return Files.write(file, b.array());
    }

    @Test
    void sequencesAreNPlusOneTokensOverlappingByOne() throws IOException {
        for (DType dt : new DType[] {DType.UINT16, DType.UINT32}) {
            int count = 10_001 + 5; // 5 tokens too few for another sample of N=16 are dropped
            Path file = write(tmp.resolve("train-" + dt.jsonName() + ".bin"), count, dt);
            byte[] all = Files.readAllBytes(file);
            Path out = tmp.resolve("ds-" + dt.jsonName());
            try (FileStore store = new FileStore(out);
                 TokenImporter imp = new TokenImporter(file, "train", dt, 16)) {
                new Ingest(imp, store, Ingest.Options.defaults("t", tmp.resolve("st")).withShardBytes(8192)).run();
                Dataset ds = Dataset.open(store);
                long samples = (count - 1) / 16;
                assertEquals(samples, ds.manifest().split("train").samples());
                assertEquals(dt, ds.schema().field(0).dtype());
                assertArrayEquals(new long[] {17}, ds.schema().field(0).shape());
                int w = dt.bytes();
                for (int i = 0; i < samples; i++) {
                    byte[] want = java.util.Arrays.copyOfRange(all, i * 16 * w, (i * 16 + 17) * w);
                    assertArrayEquals(want, ImageFolderIngestTest.bytes(ds.readValue("train", i, 0)), "sample " + i);
                }
                // hand-worked: sample 1 starts with token 16 = (16*7919+3) mod 50257
                long t16 = (16 * 7919L + 3) % 50257 + (dt == DType.UINT32 ? 70_000 : 0);
                ByteBuffer s1 = ds.readValue("train", 1, 0).order(ByteOrder.LITTLE_ENDIAN);
                assertEquals(t16, dt == DType.UINT16 ? s1.getShort(0) & 0xffff : s1.getInt(0));
            }
        }
    }

    @Test
    void aFileThatIsNotWholeTokensIsRefusedByName() throws IOException {
        Path file = Files.write(tmp.resolve("odd.bin"), new byte[1001]);
        InputException e = assertThrows(InputException.class, () -> new TokenImporter(file, "train", DType.UINT16, 8));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("1001 bytes")
                && e.getMessage().contains("uint16"), e.getMessage());
        Path file4 = Files.write(tmp.resolve("odd4.bin"), new byte[1002]);
        e = assertThrows(InputException.class, () -> new TokenImporter(file4, "train", DType.UINT32, 8));
        assertTrue(e.getMessage().contains("uint32"), e.getMessage());
        Path tiny = Files.write(tmp.resolve("tiny.bin"), new byte[16]);
        e = assertThrows(InputException.class, () -> new TokenImporter(tiny, "train", DType.UINT16, 8));
        assertTrue(e.getMessage().contains("fewer than one sample"), e.getMessage());
    }

    @Test
    void theVocabularySizeIsTheLargestIdPlusOne() throws IOException {
        // hand-made: ids 5, 300, 65535 (the largest uint16), 7, 2 -> vocabulary 65,536; then 5, 299, 7, 2 -> 300
        int[][] files = {{5, 300, 65535, 7, 2}, {5, 299, 7, 2}};
        long[] want = {65_536, 300};
        for (int f = 0; f < files.length; f++) {
            ByteBuffer b = ByteBuffer.allocate(files[f].length * 2).order(ByteOrder.LITTLE_ENDIAN);
            for (int id : files[f]) {
                b.putShort((short) id);
            }
            Path file = Files.write(tmp.resolve("v" + f + ".bin"), b.array());
            try (FileStore store = new FileStore(tmp.resolve("vds" + f));
                 TokenImporter imp = new TokenImporter(file, "train", DType.UINT16, 2)) {
                new Ingest(imp, store, Ingest.Options.defaults("t", tmp.resolve("vst" + f))).run();
                assertEquals(Long.toString(want[f]),
                        Dataset.open(store).manifest().metadata().get(TokenImporter.VOCAB_SIZE));
            }
        }
    }

    /** {@code ingest --hashed-prefixes} reaches every importer, not only idx: keys spread, values unchanged. */
    @Test
    void hashedPrefixesApplyToIngestedSources() throws IOException {
        Path file = write(tmp.resolve("h.bin"), 20_001, DType.UINT16);
        byte[] all = Files.readAllBytes(file);
        try (FileStore store = new FileStore(tmp.resolve("hashed"));
             TokenImporter imp = new TokenImporter(file, "train", DType.UINT16, 16)) {
            new Ingest(imp, store, Ingest.Options.defaults("t", tmp.resolve("hst")).withShardBytes(2048)
                    .withHashedPrefixes(16)).run();
            Dataset ds = Dataset.open(store);
            java.util.Set<String> prefixes = new java.util.HashSet<>();
            for (var shard : ds.manifest().split("train").shards()) {
                assertTrue(shard.key().matches("train/[0-9a-f]/train-[0-9a-f]{8}-[0-9]{5}\\.shard"), shard.key());
                prefixes.add(shard.key().substring(0, 7));
            }
            assertTrue(prefixes.size() >= 8, "shards spread over hashed prefixes: " + prefixes);
            for (int i = 0; i < 1250; i += 97) {
                assertArrayEquals(java.util.Arrays.copyOfRange(all, i * 32, i * 32 + 34),
                        ImageFolderIngestTest.bytes(ds.readValue("train", i, 0)), "sample " + i);
            }
        }
    }

    /**
     * A killed ingest can leave a published shard its journal does not name yet (two shards publish
     * at once and the journal follows in cut order): a new run without --resume removes it too.
     */
    @Test
    void aNewRunRemovesShardsTheKilledRunPublishedButHadNotJournalled() throws IOException {
        Path file = write(tmp.resolve("k.bin"), 5_001, DType.UINT16);
        try (FileStore store = new FileStore(tmp.resolve("killed"));
             TokenImporter imp = new TokenImporter(file, "train", DType.UINT16, 16)) {
            // what a kill leaves: the journal of run 0badc0de with no entry yet, and one published shard
            new IngestJournal("0badc0de", "tokens:whatever").write(store);
            String orphan = "train/train-0badc0de-00001.shard";
            store.put(orphan, new byte[] {1, 2, 3});
            String unrelated = "train/notes.txt";
            store.put(unrelated, new byte[] {4});
            new Ingest(imp, store, Ingest.Options.defaults("t", tmp.resolve("kst")).withShardBytes(4096)).run();
            assertTrue(!store.exists(orphan), "the killed run's unjournalled shard is removed");
            assertTrue(store.exists(unrelated), "keys that are no shards of that run stay");
            assertTrue(!store.exists(IngestJournal.KEY));
            Dataset ds = Dataset.open(store);
            assertEquals((5_001 - 1) / 16, ds.manifest().split("train").samples());
            for (var shard : ds.manifest().split("train").shards()) {
                assertTrue(store.exists(shard.key()), shard.key());
            }
        }
    }
}
