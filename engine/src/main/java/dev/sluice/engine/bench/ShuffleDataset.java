package dev.sluice.engine.bench;

import dev.sluice.data.format.DType;
import dev.sluice.data.format.Dataset;
import dev.sluice.data.format.DatasetWriter;
import dev.sluice.data.format.FieldSpec;
import dev.sluice.data.format.Manifest;
import dev.sluice.data.format.Schema;
import dev.sluice.data.store.FileStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A synthetic dataset of large samples for {@code bench shuffle}: {@code image} (uint8
 * [224, 224, 3], pseudo-random bytes so nothing compresses or caches specially) and {@code label}
 * (int64, the sample id), written once into a directory and reused while its shape matches.
 */
public final class ShuffleDataset {

    /** Image side: 3 x 224 x 224 bytes = 147 KiB per sample, as an ImageNet-style batch. */
    public static final int SIDE = 224;

    private ShuffleDataset() {}

    /** Metadata key that marks a dataset as this generator's, with its shape. */
    static final String MARK = "generator";

    static String mark(long samples, long shardBytes) {
        return "ShuffleDataset samples=" + samples + " shard=" + shardBytes;
    }

    /**
     * Returns {@code dir} holding the dataset, writing it first unless a matching one is there.
     *
     * @param samples samples in the {@code train} split
     * @param shardBytes target shard size
     * @param log progress lines (one when generating)
     */
    public static Path ensure(Path dir, long samples, long shardBytes, java.util.function.Consumer<String> log)
            throws IOException {
        String mark = mark(samples, shardBytes);
        if (Files.isRegularFile(dir.resolve(Manifest.KEY))) {
            try (FileStore store = new FileStore(dir)) {
                if (mark.equals(Dataset.open(store).manifest().metadata().get(MARK))) {
                    return dir;
                }
            }
            throw new IOException(dir + " holds another dataset (not " + mark + "); delete it or choose another"
                    + " --workdir");
        }
        Files.createDirectories(dir);
        long t0 = System.nanoTime();
        Schema schema = Schema.of(FieldSpec.of("image", DType.UINT8, SIDE, SIDE, 3), FieldSpec.of("label", DType.INT64));
        ByteBuffer image = ByteBuffer.allocate(SIDE * SIDE * 3).order(ByteOrder.LITTLE_ENDIAN);
        LongBuffer words = image.asLongBuffer();
        ByteBuffer label = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        try (FileStore store = new FileStore(dir);
             DatasetWriter w = new DatasetWriter(store, "shuffle-bench", schema, shardBytes, dir.resolve(".staging"),
                     Map.of(MARK, mark, "image.layout", "HWC"), null)) {
            for (long i = 0; i < samples; i++) {
                long z = (i + 1) * 0x9E3779B97F4A7C15L; // odd multiplier: never 0
                for (int k = 0; k < words.capacity(); k++) {
                    // xorshift64: cheap incompressible bytes, a function of the sample id
                    z ^= z << 13;
                    z ^= z >>> 7;
                    z ^= z << 17;
                    words.put(k, z);
                }
                label.putLong(0, i);
                w.add("train", image.clear(), label.clear());
            }
            Manifest m = w.commit();
            log.accept(String.format(java.util.Locale.ROOT, "generated %,d samples (%,.0f MB, %d shards) in %s in %.1f s",
                    samples, m.split("train").bytes() / 1e6, m.split("train").shards().size(), dir,
                    (System.nanoTime() - t0) / 1e9));
        }
        return dir;
    }
}
