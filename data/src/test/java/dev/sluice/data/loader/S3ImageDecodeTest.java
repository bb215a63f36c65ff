package dev.sluice.data.loader;

import com.adobe.testing.s3mock.junit5.S3MockExtension;
import dev.sluice.data.format.Dataset;
import dev.sluice.data.store.FileStore;
import dev.sluice.data.store.ObjectInfo;
import dev.sluice.data.store.S3Store;
import dev.sluice.data.store.S3TestSupport;
import java.nio.file.Path;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Images decoded in place from shard slabs that a real S3 server (S3Mock on loopback) fills: the
 * slabs arrive part by part, in any order and later than from disk, while decode threads still read
 * earlier slabs and batches hold slabs back. The same checks as over files
 * ({@link DecodeStageTest#readEpochsFromSlabs}): exact pixels, every sample once, every slab back once.
 */
class S3ImageDecodeTest {

    @RegisterExtension
    static final S3MockExtension S3 = S3TestSupport.s3Mock();

    /**
     * Small parts, for the loader and the S3 client alike, so a shard of a few PNGs is several ranged
     * GETs that complete in any order, their CRCs joined into the shard's.
     */
    private static final int PART = 1 << 10;

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "decoder {0}, prefetch {1}, {2} image(s) per shard")
    @CsvSource({"opencv, 1, 3", "opencv, 3, 3", "opencv, 3, 1", "imageio, 3, 3"})
    @Timeout(180)
    void imagesDecodedFromSlabsFilledOverS3AreExact(String decoder, int prefetch, int perShard) throws Exception {
        int side = 48;
        int n = 100;
        FileStore disk = new FileStore(tmp.resolve("disk"));
        DecodeStageTest.smallShardPngs(disk, tmp.resolve("staging"), n, side, perShard);
        String prefix = "imgs-" + decoder + "-" + prefetch + "-" + perShard;
        try (S3Store s3 = S3Store.open("s3://" + S3TestSupport.BUCKET + "/" + prefix,
                S3TestSupport.options(S3TestSupport.endpoint(S3)).withPartBytes(PART))) {
            for (ObjectInfo o : disk.list("")) {
                s3.put(o.key(), disk.readAll(o.key()));
            }
            DecodeStageTest.readEpochsFromSlabs(Dataset.open(s3), decoder, prefetch, PART, n, side, perShard);
        } finally {
            disk.close();
        }
    }
}
