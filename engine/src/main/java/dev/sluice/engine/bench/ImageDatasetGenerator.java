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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.LongConsumer;

/**
 * Writes (or finds, from an earlier run) a benchmark dataset of large samples on local disk:
 * {@code image} uint8 [h, w, c] (HWC, as ingest writes images) and {@code label} int32 in
 * [0, 1000), one split {@code train}, uncompressed.
 *
 * <p>The fill is deterministic and fast: each image is a window of a fixed pseudo-random block
 * starting at an offset derived from the sample id, so generating gigabytes costs memory copies and
 * the format's CRC32C, not a random number per byte; the bytes do not compress, as photos hardly do.
 * A dataset is reused when its manifest records the same generator parameters.
 */
public final class ImageDatasetGenerator {

    /** Manifest metadata key holding the generator parameters; a match means the dataset can be reused. */
    static final String PARAMS_KEY = "generator";

    private static final int BLOCK_BYTES = 8 << 20;
    private static final long SEED = 0x5EED_51CEL;

    private final int samples;
    private final int channels;
    private final int height;
    private final int width;
    private final long shardBytes;

    /**
     * @param samples samples in the split
     * @param channels image channels
     * @param height image height
     * @param width image width
     * @param shardBytes target shard size
     */
    public ImageDatasetGenerator(int samples, int channels, int height, int width, long shardBytes) {
        if (samples < 1 || channels < 1 || height < 1 || width < 1 || shardBytes < 1) {
            throw new IllegalArgumentException("samples, image shape and shard size must be positive");
        }
        if ((long) channels * height * width > BLOCK_BYTES / 2) {
            throw new IllegalArgumentException("images of " + (long) channels * height * width
                    + " bytes are larger than this generator supports (" + BLOCK_BYTES / 2 + ")");
        }
        this.samples = samples;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.shardBytes = shardBytes;
    }

    /** The generator for at least {@code bytes} of {@code c x h x w} images. */
    public static ImageDatasetGenerator ofSize(long bytes, int channels, int height, int width, long shardBytes) {
        long per = sampleBytes(channels, height, width);
        long n = (bytes + per - 1) / per;
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(bytes + " bytes is too many samples");
        }
        return new ImageDatasetGenerator((int) Math.max(1, n), channels, height, width, shardBytes);
    }

    /** Bytes one sample holds in a shard's data (image + label). */
    public static long sampleBytes(int channels, int height, int width) {
        return (long) channels * height * width + 4;
    }

    public int samples() {
        return samples;
    }

    /** Parameters recorded in the manifest; equal parameters give byte-identical samples. */
    String params() {
        return String.format("sluice-bench-images v1 samples=%d shape=%dx%dx%d shard=%d seed=%x", samples, height,
                width, channels, shardBytes, SEED);
    }

    /** Whether {@code dir} already holds the dataset these parameters describe. */
    public boolean existsIn(Path dir) {
        if (!Files.isRegularFile(dir.resolve(Manifest.KEY))) {
            return false;
        }
        try (FileStore store = new FileStore(dir)) {
            Manifest m = Dataset.open(store).manifest();
            return params().equals(m.metadata().get(PARAMS_KEY));
        } catch (IOException | RuntimeException unreadable) {
            return false; // a damaged or foreign dataset is rewritten
        }
    }

    /**
     * Writes the dataset into {@code dir} unless it is already there.
     *
     * @param progress called with the samples written so far (every 256 and at the end)
     * @return true if it was written, false if an existing copy was reused
     */
    public boolean ensure(Path dir, LongConsumer progress) throws IOException {
        if (existsIn(dir)) {
            progress.accept(samples);
            return false;
        }
        Files.createDirectories(dir);
        try (FileStore store = new FileStore(dir)) {
            if (store.exists(Manifest.KEY)) {
                store.delete(Manifest.KEY); // another generation's dataset: readers must not mix it with ours
            }
            deleteShards(dir);
            Schema schema = Schema.of(
                    FieldSpec.of("image", DType.UINT8, height, width, channels),
                    FieldSpec.of("label", DType.INT32).withClasses(classes()));
            byte[] block = new byte[BLOCK_BYTES];
            fill(block);
            ByteBuffer blockBuf = ByteBuffer.wrap(block);
            int imageBytes = channels * height * width;
            ByteBuffer label = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            Map<String, String> meta = Map.of(PARAMS_KEY, params(), "image.layout", "HWC");
            try (DatasetWriter w = new DatasetWriter(store, "bench-images", schema, shardBytes,
                    dir.resolve(".sluice-staging"), meta, null)) {
                for (int i = 0; i < samples; i++) {
                    int off = offset(i, imageBytes);
                    label.putInt(0, label(i));
                    w.add("train", blockBuf.duplicate().position(off).limit(off + imageBytes), label.clear());
                    if ((i + 1) % 256 == 0) {
                        progress.accept(i + 1);
                    }
                }
                w.commit();
            }
            progress.accept(samples);
            return true;
        }
    }

    /** Offset of sample {@code id}'s image in the block. */
    private static int offset(long id, int imageBytes) {
        long span = BLOCK_BYTES - imageBytes;
        return (int) Math.floorMod(id * 0x9E3779B97F4A7C15L, span);
    }

    /** Label of sample {@code id}. */
    static int label(long id) {
        return (int) Math.floorMod(id * 7919L + 13, 1000L);
    }

    private static List<String> classes() {
        List<String> c = new ArrayList<>(1000);
        for (int i = 0; i < 1000; i++) {
            c.add(Integer.toString(i));
        }
        return c;
    }

    private static void fill(byte[] block) {
        SplittableRandom r = new SplittableRandom(SEED);
        ByteBuffer b = ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN);
        while (b.remaining() >= 8) {
            b.putLong(r.nextLong());
        }
    }

    /** Removes shard files of an earlier, different generation (they are not in any manifest now). */
    private static void deleteShards(Path dir) throws IOException {
        Path train = dir.resolve("train");
        if (!Files.isDirectory(train)) {
            return;
        }
        try (var files = Files.list(train)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (p.getFileName().toString().endsWith(".shard")) {
                    Files.delete(p);
                }
            }
        }
    }
}
