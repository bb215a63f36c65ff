package dev.sluice.data.testing;

import dev.sluice.data.format.Compression;
import dev.sluice.data.format.DType;
import dev.sluice.data.format.DatasetWriter;
import dev.sluice.data.format.FieldSpec;
import dev.sluice.data.format.Manifest;
import dev.sluice.data.format.Schema;
import dev.sluice.data.store.ObjectStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Generated datasets whose every byte is a known function of the sample id, so tests can check
 * that a batch holds exactly the samples it claims. Fields: {@code pixels} (uint8 [h, w, c]) and
 * {@code id} (int64 scalar, the sample's id within its split).
 */
public final class SyntheticDatasets {

    private SyntheticDatasets() {}

    /** Schema of a generated dataset. */
    public static Schema schema(int h, int w, int c, boolean compressPixels) {
        FieldSpec px = FieldSpec.of("pixels", DType.UINT8, h, w, c);
        return Schema.of(compressPixels ? px.withCompression(Compression.ZSTD) : px, FieldSpec.of("id", DType.INT64));
    }

    /** Byte {@code j} of sample {@code id}'s pixels. */
    public static byte pixel(long id, int j) {
        long z = id * 0x9E3779B97F4A7C15L + j * 0xBF58476D1CE4E5B9L;
        z ^= z >>> 29;
        // low-entropy rows (runs of equal bytes) so zstd has something to compress
        return (byte) ((z & 0x0f) + (j / 64) * 3);
    }

    /** Fills {@code dst} (position 0..limit) with sample {@code id}'s pixels. */
    public static void fillPixels(long id, ByteBuffer dst) {
        for (int j = 0; j < dst.limit(); j++) {
            dst.put(j, pixel(id, j));
        }
    }

    /**
     * Writes a dataset with one or more splits of {@code samples} each into {@code store}.
     *
     * @param shardBytes target shard size (small values give many shards)
     */
    public static Manifest write(ObjectStore store, Path staging, int samples, int h, int w, int c,
                                 boolean compressPixels, long shardBytes, String... splits) throws IOException {
        Schema schema = schema(h, w, c, compressPixels);
        ByteBuffer px = ByteBuffer.allocate(h * w * c);
        ByteBuffer id = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        Files.createDirectories(staging);
        try (DatasetWriter writer = new DatasetWriter(store, "synthetic", schema, shardBytes,
                staging.resolve("staging"), Map.of("generator", "SyntheticDatasets"), null)) {
            for (String split : splits.length == 0 ? new String[] {"train"} : splits) {
                for (long i = 0; i < samples; i++) {
                    fillPixels(i, px.clear());
                    id.putLong(0, i);
                    writer.add(split, px.clear(), id.clear());
                }
            }
            return writer.commit();
        }
    }
}
