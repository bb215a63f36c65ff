package dev.sluice.data.format;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.data.store.FileStore;
import dev.sluice.data.testing.SyntheticDatasets;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every kind of damage gives its typed error, naming the file and what is wrong. */
class BadInputTest {

    @TempDir
    Path tmp;

    FileStore store;
    Manifest manifest;
    ShardInfo shard;
    Path shardFile;

    @BeforeEach
    void write() throws Exception {
        store = new FileStore(tmp.resolve("ds"));
        manifest = SyntheticDatasets.write(store, tmp, 50, 4, 4, 1, false, 1 << 20);
        shard = manifest.split("train").shards().get(0);
        shardFile = store.root().resolve(shard.key());
    }

    private <T extends Throwable> T loadFails(Class<T> type) {
        return assertThrows(type, () -> {
            Dataset ds = Dataset.open(store);
            ds.load(shard, ByteBuffer.allocateDirect((int) Files.size(shardFile)), true);
        });
    }

    private static void assertNames(Throwable e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "message '" + e.getMessage() + "' should mention " + p);
        }
    }

    @Test
    void truncatedShard() throws Exception {
        byte[] all = Files.readAllBytes(shardFile);
        Files.write(shardFile, java.util.Arrays.copyOf(all, all.length - 10));
        CorruptShardException e = assertThrows(CorruptShardException.class, () -> Dataset.open(store));
        assertNames(e, shard.key(), "truncated");
    }

    @Test
    void flippedDataByteFailsTheChecksum() throws Exception {
        byte[] all = Files.readAllBytes(shardFile);
        all[all.length - 3] ^= 0x40;
        Files.write(shardFile, all);
        ChecksumMismatchException e = loadFails(ChecksumMismatchException.class);
        assertNames(e, shard.key(), "CRC32C", shard.crc32cHex());
    }

    @Test
    void flippedHeaderByteFailsTheHeaderChecksumEvenWithoutTheShardChecksum() throws Exception {
        byte[] all = Files.readAllBytes(shardFile);
        all[64 + 8] ^= 0x01; // sample size of field 0
        Files.write(shardFile, all);
        Dataset ds = Dataset.open(store);
        ChecksumMismatchException e = assertThrows(ChecksumMismatchException.class,
                () -> ds.load(shard, ByteBuffer.allocateDirect(all.length), false));
        assertNames(e, shard.key(), "header CRC32C");
    }

    @Test
    void unknownMajorVersionInManifest() throws Exception {
        Path mf = store.root().resolve(Manifest.KEY);
        String json = Files.readString(mf).replace("\"version\": \"1.0\"", "\"version\": \"2.0\"");
        Files.writeString(mf, json);
        UnsupportedVersionException e = assertThrows(UnsupportedVersionException.class, () -> Dataset.open(store));
        assertNames(e, "manifest.json", "2.0", "major version 1");
    }

    @Test
    void unknownMajorVersionInShard() throws Exception {
        try (var ch = java.nio.channels.FileChannel.open(shardFile, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort(0, (short) 3), 8);
        }
        UnsupportedVersionException e = loadFails(UnsupportedVersionException.class);
        assertNames(e, shard.key(), "3.0");
    }

    @Test
    void notAShard() throws Exception {
        byte[] all = Files.readAllBytes(shardFile);
        System.arraycopy("NOTSHARD".getBytes(StandardCharsets.US_ASCII), 0, all, 0, 8);
        Files.write(shardFile, all);
        CorruptShardException e = assertThrows(CorruptShardException.class, () -> {
            Dataset ds = Dataset.open(store);
            ds.load(shard, ByteBuffer.allocateDirect(all.length), false);
        });
        assertNames(e, shard.key(), "magic");
    }

    @Test
    void manifestNamesAMissingShard() throws Exception {
        Files.delete(shardFile);
        MissingShardException e = assertThrows(MissingShardException.class, () -> Dataset.open(store));
        assertNames(e, shard.key(), "missing");
    }

    @Test
    void fieldShapeDisagreesWithData() throws Exception {
        Path mf = store.root().resolve(Manifest.KEY);
        String json = Files.readString(mf).replaceFirst("\"shape\": \\[\\s*4,\\s*4,\\s*1\\s*\\]",
                "\"shape\": [4, 4, 2]");
        Files.writeString(mf, json);
        ShapeMismatchException e = loadFails(ShapeMismatchException.class);
        assertNames(e, shard.key(), "pixels", "manifest");
    }

    @Test
    void noManifest() throws Exception {
        Files.delete(store.root().resolve(Manifest.KEY));
        ManifestException e = assertThrows(ManifestException.class, () -> Dataset.open(store));
        assertNames(e, "manifest.json", "ingest");
    }

    @Test
    void manifestIsNotJson() throws Exception {
        Files.writeString(store.root().resolve(Manifest.KEY), "{ not json");
        ManifestException e = assertThrows(ManifestException.class, () -> Dataset.open(store));
        assertNames(e, "manifest.json", "JSON");
    }

    /** Writes {@code value} at {@code offset} of the shard file and re-seals the header CRC over header and index. */
    private static byte[] patchLongAndResealHeader(Path file, int offset, long value) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(offset, value);
        int indexEnd = 64 + (int) b.getLong(24);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(b.array(), 0, 52);
        crc.update(b.array(), 64, indexEnd - 64);
        b.putInt(52, (int) crc.getValue());
        Files.write(file, b.array());
        return b.array();
    }

    @Test
    void aSectionOffsetSoLargeThatOffsetPlusLengthOverflowsIsRejected() throws Exception {
        // field 0's entry is at 64; its sectionOffset at +16. With the header CRC intact only the
        // bounds check stands between this offset and a read far outside the shard.
        byte[] all = patchLongAndResealHeader(shardFile, 64 + 16, Long.MAX_VALUE - 8);
        Dataset ds = Dataset.open(store);
        CorruptShardException e = assertThrows(CorruptShardException.class,
                () -> ds.load(shard, ByteBuffer.allocateDirect(all.length), false));
        assertNames(e, shard.key(), "pixels", "outside the data area");
    }

    @Test
    void anOffsetsTableLargerThanTheIndexIsRejectedBeforeItIsAllocated() throws Exception {
        store = new FileStore(tmp.resolve("zstd"));
        manifest = SyntheticDatasets.write(store, tmp.resolve("z"), 50, 4, 4, 1, true, 1 << 20);
        shard = manifest.split("train").shards().get(0);
        shardFile = store.root().resolve(shard.key());
        // header and manifest agree on a sample count whose offsets table (16 GiB) the index cannot hold
        long samples = Integer.MAX_VALUE - 2L;
        byte[] all = patchLongAndResealHeader(shardFile, 16, samples);
        ShardInfo claimed = new ShardInfo(shard.key(), samples, shard.bytes(), shard.crc32c());
        Manifest m = manifest.withSplit(new Split("train", java.util.List.of(claimed)), manifest.created());
        Dataset ds = Dataset.of(store, m);
        CorruptShardException e = assertThrows(CorruptShardException.class,
                () -> ds.load(claimed, ByteBuffer.allocateDirect(all.length), false));
        assertNames(e, shard.key(), "pixels", "offsets table");
    }

    @Test
    void aStringOrAnOverflowWhereTheManifestNeedsANumberNamesTheManifest() throws Exception {
        Path mf = store.root().resolve(Manifest.KEY);
        String good = Files.readString(mf);
        String[][] cases = {
            {"\"shape\": \\[\\s*4,", "\"shape\": [\"four\","},
            {"\"shape\": \\[\\s*4,\\s*4,\\s*1\\s*\\]", "\"shape\": [4294967296, 4294967296, 4294967296]"},
            {"\"samples\": 50,", "\"samples\": \"fifty\","},
        };
        for (String[] c : cases) {
            String json = good.replaceFirst(c[0], c[1]);
            assertTrue(!json.equals(good), c[0]);
            Files.writeString(mf, json);
            ManifestException e = assertThrows(ManifestException.class, () -> Dataset.open(store), c[1]);
            assertNames(e, "manifest.json");
        }
    }
}
