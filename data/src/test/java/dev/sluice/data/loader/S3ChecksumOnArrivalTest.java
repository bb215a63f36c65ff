package dev.sluice.data.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.adobe.testing.s3mock.junit5.S3MockExtension;
import dev.sluice.data.format.ChecksumMismatchException;
import dev.sluice.data.format.Dataset;
import dev.sluice.data.format.ShardInfo;
import dev.sluice.data.memory.DirectAllocator;
import dev.sluice.data.store.FileStore;
import dev.sluice.data.store.ObjectInfo;
import dev.sluice.data.store.S3Store;
import dev.sluice.data.store.S3TestSupport;
import dev.sluice.data.testing.SyntheticDatasets;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The loader over S3, where each part read is checksummed as it arrives and the parts' CRCs are
 * joined into the shard's: the batches equal those read from the same files on disk (whole-shard
 * check), and one flipped byte in any part of a shard in the bucket fails the epoch naming that shard.
 */
class S3ChecksumOnArrivalTest {

    @RegisterExtension
    static final S3MockExtension S3 = S3TestSupport.s3Mock();

    /** Small parts, so every shard is several part reads that complete in any order. */
    private static final int PART = 1 << 10;

    @TempDir
    static Path tmp;

    static FileStore disk;
    static S3Store good;
    static S3Store bad;
    static String corruptKey;

    @BeforeAll
    static void upload() throws IOException {
        disk = new FileStore(tmp.resolve("ds"));
        SyntheticDatasets.write(disk, tmp, 300, 4, 4, 3, false, 4_000);
        Dataset ds = Dataset.open(disk);
        List<ShardInfo> shards = ds.manifest().split("train").shards();
        ShardInfo victim = shards.get(2);
        assertTrue(victim.bytes() > 2 * PART, "the shard spans several parts: " + victim.bytes());
        corruptKey = victim.key();
        String endpoint = S3TestSupport.endpoint(S3);
        good = S3Store.open("s3://" + S3TestSupport.BUCKET + "/good", S3TestSupport.options(endpoint)
                .withPartBytes(PART));
        bad = S3Store.open("s3://" + S3TestSupport.BUCKET + "/bad", S3TestSupport.options(endpoint)
                .withPartBytes(PART));
        for (ObjectInfo o : disk.list("")) {
            byte[] b = disk.readAll(o.key());
            good.put(o.key(), b);
            if (o.key().equals(corruptKey)) {
                // a byte in the middle of the third part, past the shard's header and index
                b[2 * PART + 100] ^= 0x10;
            }
            bad.put(o.key(), b);
        }
    }

    @AfterAll
    static void close() {
        good.close();
        bad.close();
        disk.close();
    }

    private static LoaderConfig config() {
        return LoaderConfig.training("train", 8, 1).withShuffle(true, 2).withIo(2, PART, 4);
    }

    /** SHA-256 of every batch's sample ids and field bytes, in delivery order. */
    private static List<String> epoch(Dataset ds) throws Exception {
        List<String> out = new ArrayList<>();
        try (Loader l = new Loader(ds, config(), new DirectAllocator());
             EpochStream st = l.open(LoaderState.start(1, 0))) {
            for (HostBatch b; (b = st.next()) != null; ) {
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                for (int i = 0; i < b.size(); i++) {
                    md.update(Long.toString(b.sampleId(i)).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                }
                for (int f = 0; f < b.fields().size(); f++) {
                    md.update(b.buffer(f).duplicate());
                }
                out.add(HexFormat.of().formatHex(md.digest()));
                b.close();
            }
        }
        return out;
    }

    @Test
    void batchesFromS3EqualThoseFromDisk() throws Exception {
        List<String> fromDisk = epoch(Dataset.open(disk));
        List<String> fromS3 = epoch(Dataset.open(good));
        assertTrue(fromDisk.size() > 10, "batches: " + fromDisk.size());
        assertEquals(fromDisk, fromS3);
    }

    @Test
    void aFlippedByteInOnePartFailsTheEpochNamingTheShard() {
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> epoch(Dataset.open(bad)));
        ChecksumMismatchException m = assertInstanceOf(ChecksumMismatchException.class, e);
        assertTrue(m.getMessage().contains(corruptKey) && m.getMessage().contains("CRC32C"), m.getMessage());
    }
}
