package dev.sluice.data.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.data.format.Compression;
import dev.sluice.data.format.DType;
import dev.sluice.data.format.Dataset;
import dev.sluice.data.format.DatasetWriter;
import dev.sluice.data.format.FieldSpec;
import dev.sluice.data.format.Schema;
import dev.sluice.data.format.ShardInfo;
import dev.sluice.data.format.Split;
import dev.sluice.data.image.ImageStage;
import dev.sluice.data.memory.DirectAllocator;
import dev.sluice.data.store.FileStore;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The loader's decode stage over a dataset of PNG and JPEG images written by the JDK. */
class DecodeStageTest {

    private static final int N = 60;

    @TempDir
    Path tmp;

    /** Pixel (y, x) of image i: a pattern unique to the image. */
    private static int[] pixel(int i, int y, int x) {
        return new int[] {(i * 4 + x * 9) & 0xFF, (y * 11 + i) & 0xFF, (i * 3 + x + y) & 0xFF};
    }

    private static byte[] png(int i, int w, int h) throws Exception {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int[] p = pixel(i, y, x);
                img.setRGB(x, y, p[0] << 16 | p[1] << 8 | p[2]);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    /** A PNG of the {@code side x side} RGB pixels {@code px}, row by row. */
    private static byte[] png(byte[] px, int side) throws Exception {
        BufferedImage img = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
        for (int p = 0; p < side * side; p++) {
            img.setRGB(p % side, p / side, (px[3 * p] & 0xFF) << 16 | (px[3 * p + 1] & 0xFF) << 8 | (px[3 * p + 2] & 0xFF));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    /** N images, 8 x 8 when {@code fixedSize}, else of varying sizes; sample {@code bad} holds garbage. */
    private Dataset write(boolean fixedSize, int bad) throws Exception {
        Schema schema = Schema.of(FieldSpec.bytes("image", "png"), FieldSpec.of("label", DType.INT32));
        FileStore store = new FileStore(tmp.resolve("ds" + fixedSize + bad));
        try (DatasetWriter w = new DatasetWriter(store, "imgs", schema, 3_000, tmp.resolve("st" + fixedSize + bad),
                Map.of(), null)) {
            for (int i = 0; i < N; i++) {
                byte[] img = i == bad ? "definitely not a png".getBytes() : fixedSize ? png(i, 8, 8)
                        : png(i, 9 + i % 7 * 5, 7 + i % 4 * 9);
                w.add("train", ByteBuffer.wrap(img), ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, i));
            }
            w.commit();
        }
        Dataset ds = Dataset.open(store);
        assertTrue(ds.manifest().split("train").shards().size() > 3, "several shards");
        return ds;
    }

    /** Every batch of the epoch from {@code state}: sample id to image bytes, in delivery order. */
    private static List<Map.Entry<Long, byte[]>> read(Loader l, LoaderState state, int maxBatches) throws Exception {
        List<Map.Entry<Long, byte[]>> out = new ArrayList<>();
        try (EpochStream s = l.open(state)) {
            HostBatch b;
            int n = 0;
            while (n++ < maxBatches && (b = s.next()) != null) {
                try (HostBatch cur = b) {
                    int bytes = (int) b.fields().get(0).sampleBytes();
                    for (int k = 0; k < b.size(); k++) {
                        byte[] img = new byte[bytes];
                        b.buffer(0).get(k * bytes, img);
                        assertEquals(b.sampleId(k), b.buffer(1).order(ByteOrder.LITTLE_ENDIAN).getInt(4 * k), "label");
                        out.add(Map.entry(b.sampleId(k), img));
                    }
                }
            }
        }
        return out;
    }

    @Test
    void resizeToTheStoredSizeDeliversExactlyTheStoredPixels() throws Exception {
        Dataset ds = write(true, -1);
        ImageStage stage = new ImageStage("image", 8, 8, ImageStage.Crop.RESIZE, false, "auto", 2, false);
        LoaderConfig cfg = LoaderConfig.evaluation("train", 7).withImages(stage);
        try (Loader l = new Loader(ds, cfg, new DirectAllocator())) {
            assertEquals(FieldSpec.of("image", DType.UINT8, 8, 8, 3), l.fields().get(0));
            List<Map.Entry<Long, byte[]>> got = read(l, LoaderState.start(0, 0), Integer.MAX_VALUE);
            assertEquals(N, got.size());
            for (int i = 0; i < N; i++) {
                assertEquals(i, got.get(i).getKey());
                byte[] want = new byte[8 * 8 * 3];
                for (int p = 0; p < 64; p++) {
                    int[] px = pixel(i, p / 8, p % 8);
                    for (int c = 0; c < 3; c++) {
                        want[3 * p + c] = (byte) px[c];
                    }
                }
                assertArrayEquals(want, got.get(i).getValue(), "image " + i);
            }
        }
    }

    private static LoaderConfig training(int batch, String decoder) {
        ImageStage stage = ImageStage.training("image", 12).withDecoder(decoder, 2);
        return LoaderConfig.training("train", batch, 99).withShuffle(true, 2).withImages(stage);
    }

    @ParameterizedTest(name = "decoder {0}")
    @ValueSource(strings = {"imageio", "opencv"})
    void augmentedBatchesAreIdenticalAcrossRunsResumeAndRanks(String decoder) throws Exception {
        Dataset ds = write(false, -1);
        LoaderConfig cfg = training(6, decoder);
        List<Map.Entry<Long, byte[]>> first;
        List<Map.Entry<Long, byte[]>> second;
        try (Loader l = new Loader(ds, cfg, new DirectAllocator())) {
            assertEquals(decoder, l.decoderName());
            first = read(l, LoaderState.start(99, 1), Integer.MAX_VALUE);
        }
        try (Loader l = new Loader(ds, cfg, new DirectAllocator())) {
            second = read(l, LoaderState.start(99, 1), Integer.MAX_VALUE);
            assertEquals(N, first.size());
            assertSame(first, second, "two runs");
            // resume after 3 batches: the rest is the uninterrupted run's tail
            LoaderState mid;
            try (EpochStream s = l.open(LoaderState.start(99, 1))) {
                for (int k = 0; k < 3; k++) {
                    s.next().close();
                }
                mid = s.state();
            }
            assertSame(first.subList(18, N), read(l, mid, Integer.MAX_VALUE), "resumed");
            // another epoch augments differently
            List<Map.Entry<Long, byte[]>> epoch2 = read(l, LoaderState.start(99, 2), Integer.MAX_VALUE);
            Map<Long, byte[]> e1 = toMap(first);
            long differ = epoch2.stream().filter(e -> !Arrays.equals(e.getValue(), e1.get(e.getKey()))).count();
            assertTrue(differ > N / 2, "epoch 2 draws other crops: " + differ + " of " + N + " differ");
        }
        // two ranks of half the batch each: the union of their samples is the one-rank epoch, each
        // sample augmented identically
        Map<Long, byte[]> union = new HashMap<>();
        for (int r = 0; r < 2; r++) {
            try (Loader l = new Loader(ds, training(3, decoder).withRank(r, 2), new DirectAllocator())) {
                for (Map.Entry<Long, byte[]> e : read(l, LoaderState.start(99, 1), Integer.MAX_VALUE)) {
                    assertNotNull(e.getValue());
                    assertFalse(union.containsKey(e.getKey()), "sample " + e.getKey() + " on both ranks");
                    union.put(e.getKey(), e.getValue());
                }
            }
        }
        Map<Long, byte[]> one = toMap(first);
        assertEquals(one.keySet(), union.keySet());
        for (long id : one.keySet()) {
            assertArrayEquals(one.get(id), union.get(id), "sample " + id);
        }
    }

    private static Map<Long, byte[]> toMap(List<Map.Entry<Long, byte[]>> l) {
        Map<Long, byte[]> m = new HashMap<>();
        l.forEach(e -> m.put(e.getKey(), e.getValue()));
        return m;
    }

    private static void assertSame(List<Map.Entry<Long, byte[]>> a, List<Map.Entry<Long, byte[]>> b, String what) {
        assertEquals(a.size(), b.size(), what);
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).getKey(), b.get(i).getKey(), what + " position " + i);
            assertArrayEquals(a.get(i).getValue(), b.get(i).getValue(), what + " sample " + a.get(i).getKey());
        }
    }

    @Test
    void anImageThatDoesNotDecodeIsSkippedAndCounted() throws Exception {
        Dataset ds = write(false, 17);
        LoaderConfig cfg = training(6, "auto");
        try (Loader l = new Loader(ds, cfg, new DirectAllocator())) {
            LoaderState end;
            Set<Long> seen = new HashSet<>();
            int drawn = 0;
            try (EpochStream s = l.open(LoaderState.start(99, 0))) {
                for (HostBatch b; (b = s.next()) != null; ) {
                    try (HostBatch cur = b) {
                        drawn += b.drawn();
                        for (int k = 0; k < b.size(); k++) {
                            seen.add(b.sampleId(k));
                        }
                    }
                }
                end = s.state();
            }
            assertEquals(1, l.decodeFailures());
            assertEquals(N - 1, seen.size());
            assertFalse(seen.contains(17L));
            assertEquals(N, drawn, "the skipped sample still counts as drawn");
            assertEquals(LoaderState.start(99, 0).advance(1, N).consumed(), end.consumed());
            // the loader goes on working: another epoch reads fine
            assertEquals(N - 1, read(l, LoaderState.start(99, 1), Integer.MAX_VALUE).size());
        }
    }

    @Test
    void strictDecodingFailsTheStreamNamingTheSample() throws Exception {
        Dataset ds = write(false, 17);
        LoaderConfig cfg = LoaderConfig.evaluation("train", 6)
                .withImages(ImageStage.evaluation("image", 12).withStrict(true));
        try (Loader l = new Loader(ds, cfg, new DirectAllocator()); EpochStream s = l.open(LoaderState.start(0, 0))) {
            LoaderException e = assertThrows(LoaderException.class, () -> {
                for (HostBatch b; (b = s.next()) != null; ) {
                    b.close();
                }
            });
            assertTrue(e.getMessage().contains("sample 17 "), e.getMessage());
            assertTrue(e.getMessage().contains("shard"), e.getMessage());
        }
    }

    @Test
    void aVariableFieldWithoutADecodeStageIsRefusedAndSoIsANonImageOne() throws Exception {
        Dataset ds = write(true, -1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Loader(ds, LoaderConfig.evaluation("train", 4), new DirectAllocator()));
        assertTrue(e.getMessage().contains("withImages"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Loader(ds, LoaderConfig.evaluation("train", 4)
                .withImages(ImageStage.evaluation("label", 8)), new DirectAllocator()));
    }

    /** Image {@code i}'s pattern ({@link #pixel}) on a {@code side x side} square, row by row. */
    private static byte[] storedPixels(int i, int side) {
        byte[] want = new byte[side * side * 3];
        for (int p = 0; p < side * side; p++) {
            int[] px = pixel(i, p / side, p % side);
            for (int c = 0; c < 3; c++) {
                want[3 * p + c] = (byte) px[c];
            }
        }
        return want;
    }

    /**
     * Reads every batch of {@code s}, checking that each sample comes once ({@code seen}), with its id
     * as label (as the datasets here store it) and {@code expected.apply(id)} as its pixels.
     */
    private static void readExact(EpochStream s, int side, java.util.function.IntFunction<byte[]> expected,
                                  Set<Long> seen, String what) throws Exception {
        for (HostBatch next; (next = s.next()) != null; ) {
            try (HostBatch b = next) {
                for (int k = 0; k < b.size(); k++) {
                    byte[] img = new byte[side * side * 3];
                    b.buffer(0).get(k * img.length, img);
                    int id = (int) b.sampleId(k);
                    assertEquals(id, b.buffer(1).order(ByteOrder.LITTLE_ENDIAN).getInt(4 * k), "label");
                    assertTrue(seen.add((long) id), "sample " + id + " twice");
                    assertArrayEquals(expected.apply(id), img, what + ", image " + id);
                }
            }
        }
    }

    @ParameterizedTest(name = "decoder {0}, prefetch {1}, {2} image(s) per shard")
    @CsvSource({"opencv, 1, 1", "opencv, 3, 1", "imageio, 1, 1", "opencv, 1, 3", "opencv, 3, 3", "imageio, 3, 3"})
    @Timeout(120)
    void imagesReadInPlaceFromSlabsThatManyRunsCloseUnderOneBatchAreExact(String decoder, int prefetch, int perShard)
            throws Exception {
        // small shards and batches of 20 drawn through 2 open shards: many runs close while each batch
        // is gathered. The loader holds 2 + prefetch slabs, so the batch being gathered may hold back
        // prefetch - 1 of them (0 or 2); every other closing run's values are copied into its staging
        // buffer, and its slab goes back once the batches before are decoded (with 3 images a shard,
        // those batches hold some of its images too). A slab handed back too early would be refilled
        // with another shard while a decoder still reads it: the pixels, compared with those each PNG
        // was made from, would show.
        int side = 48;
        int n = 100;
        FileStore store = new FileStore(tmp.resolve("small-shards"));
        smallShardPngs(store, tmp.resolve("st-small"), n, side, perShard);
        readEpochsFromSlabs(Dataset.open(store), decoder, prefetch, 8L << 20, n, side, perShard);
    }

    /**
     * Writes {@code n} PNGs of {@code side x side} ({@link #pixel}'s pattern, the sample id as label) into
     * {@code store}, one shard per image or about {@code perShard} a shard.
     */
    static void smallShardPngs(FileStore store, Path staging, int n, int side, int perShard) throws Exception {
        Schema schema = Schema.of(FieldSpec.bytes("image", "png"), FieldSpec.of("label", DType.INT32));
        int png = png(0, side, side).length;
        long shardBytes = perShard == 1 ? 1 : png * perShard - png / 2; // the index adds a few bytes
        try (DatasetWriter w = new DatasetWriter(store, "imgs", schema, shardBytes, staging, Map.of(), null)) {
            for (int i = 0; i < n; i++) {
                w.add("train", ByteBuffer.wrap(png(i, side, side)),
                        ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, i));
            }
            w.commit();
        }
    }

    /**
     * Three shuffled epochs of {@link #smallShardPngs}'s dataset in batches of 20 through 2 open shards
     * and {@code prefetch} shards fetched ahead, each shard read in parts of {@code partBytes}: every
     * image equals the pixels its PNG was made from, every sample comes once, and every slab goes back
     * once, held back or copied out as {@code prefetch} allows.
     */
    static void readEpochsFromSlabs(Dataset ds, String decoder, int prefetch, long partBytes, int n, int side,
                                    int perShard) throws Exception {
        int shards = ds.manifest().split("train").shards().size();
        assertTrue(perShard == 1 ? shards == n : shards < n / 2, shards + " shards");
        ImageStage stage = new ImageStage("image", side, side, ImageStage.Crop.RESIZE, false, decoder, 2, false);
        LoaderConfig cfg = LoaderConfig.training("train", 20, 5).withShuffle(true, 2)
                .withIo(prefetch, partBytes, 4).withImages(stage);
        try (Loader l = new Loader(ds, cfg, new DirectAllocator())) {
            assertEquals(2 + prefetch, l.fetcher().slabCount());
            for (int epoch = 0; epoch < 3; epoch++) {
                Set<Long> seen = new HashSet<>();
                int deferred;
                int spilled;
                try (EpochStream s = l.open(LoaderState.start(5, epoch))) {
                    readExact(s, side, id -> storedPixels(id, side), seen, "epoch " + epoch);
                    deferred = s.deferredRuns();
                    spilled = s.spilledRuns();
                    // the end is only signalled once every release is done, before the stream's close
                    // would hand back whatever is left
                    assertEquals(0, l.fetcher().slabsInUse(), "every slab back at the end of the epoch");
                }
                assertEquals(n, seen.size(), "every image once");
                assertEquals(shards, deferred + spilled, "every run's slab went back one way or the other");
                assertTrue(spilled > 0, "runs past what a batch may hold back were copied: " + spilled);
                if (prefetch == 1) {
                    assertEquals(0, deferred, "no slab to spare: nothing held back");
                } else {
                    assertTrue(deferred > 0, "some slabs held back until their batch was decoded");
                }
                assertEquals(0, l.fetcher().slabsInUse(), "none handed back twice");
            }
        }
    }

    @Test
    @Timeout(120)
    void imagesCopiedOutOfSlabsGoingBackEarlyGrowStagingAndStayExact() throws Exception {
        // one noise PNG of 128 x 128 per shard (about 49 KB: PNG cannot shrink noise), batches of 30
        // through 2 open shards with 1 shard fetched ahead: no slab to spare, so every image a batch
        // holds when its run closes is copied into staging, about 1.5 MB a batch against the 1 MiB
        // each staging buffer starts with
        int side = 128;
        int n = 60;
        java.util.Random r = new java.util.Random(11);
        List<byte[]> pixels = new ArrayList<>();
        Schema schema = Schema.of(FieldSpec.bytes("image", "png"), FieldSpec.of("label", DType.INT32));
        FileStore store = new FileStore(tmp.resolve("noise"));
        try (DatasetWriter w = new DatasetWriter(store, "imgs", schema, 1, tmp.resolve("st-noise"), Map.of(), null)) {
            for (int i = 0; i < n; i++) {
                byte[] px = new byte[side * side * 3];
                r.nextBytes(px);
                pixels.add(px);
                w.add("train", ByteBuffer.wrap(png(px, side)), ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, i));
            }
            w.commit();
        }
        ImageStage stage = new ImageStage("image", side, side, ImageStage.Crop.RESIZE, false, "auto", 2, false);
        LoaderConfig cfg = LoaderConfig.training("train", 30, 7).withShuffle(true, 2).withIo(1, 8L << 20, 4)
                .withImages(stage);
        Loader l = new Loader(Dataset.open(store), cfg, new DirectAllocator());
        try (l) {
            assertEquals(4L << 20, l.pool().stagingBytes(), "four buffers of 1 MiB to start with");
            for (int epoch = 0; epoch < 2; epoch++) {
                Set<Long> seen = new HashSet<>();
                try (EpochStream s = l.open(LoaderState.start(7, epoch))) {
                    readExact(s, side, pixels::get, seen, "epoch " + epoch);
                    assertEquals(n, s.spilledRuns(), "every run copied out");
                }
                assertEquals(n, seen.size());
            }
            assertTrue(l.pool().stagingBytes() > 4L << 20, "buffers grew: " + l.pool().stagingBytes());
        }
        assertEquals(0, l.pool().stagingBytes(), "closing the loader frees every staging buffer");
    }

    @Test
    void stagingStartsSmallUnlessEveryImageMustBeDecompressedIntoIt() {
        // 1,000 samples of 100,000 bytes: a batch of 256 is 25.6 MB, plus a quarter 32 MB
        Split split = new Split("train", List.of(new ShardInfo("a", 600, 60_000_000, 0),
                new ShardInfo("b", 400, 40_000_000, 0)));
        assertEquals(32_000_000, Loader.initialStagingBytes(split, 256, Compression.ZSTD));
        assertEquals(64 << 20, Loader.initialStagingBytes(split, 1024, Compression.ZSTD), "at most 64 MiB up front");
        assertEquals(1 << 20, Loader.initialStagingBytes(split, 4, Compression.ZSTD), "at least 1 MiB");
        assertEquals(1 << 20, Loader.initialStagingBytes(split, 256, Compression.NONE),
                "read in place: staging only holds what a batch copies out of a slab going back early");
    }

    @Test
    void aBatchOfImagesLargerThanItsStagingBufferGrowsItAndClosingFreesIt() throws Exception {
        // 20 images of 320 x 320 in batches of 4: samples 16-19 are noise (PNG cannot shrink it: about
        // 300 KB each, 1.2 MB together), the rest flat (a few hundred bytes). Stored zstd-compressed, so
        // the loader cannot read them in place and decompresses each batch's into its staging buffer.
        // The staging buffers, sized from the mean, start at their 1 MiB floor, so the fifth batch, which
        // reuses a pooled batch whose images the decoders have already read, must grow its buffer.
        int side = 320;
        int n = 20;
        java.util.Random r = new java.util.Random(3);
        List<byte[]> pixels = new ArrayList<>();
        Schema schema = Schema.of(FieldSpec.bytes("image", "png").withCompression(Compression.ZSTD),
                FieldSpec.of("label", DType.INT32));
        FileStore store = new FileStore(tmp.resolve("big"));
        try (DatasetWriter w = new DatasetWriter(store, "imgs", schema, 64L << 20, tmp.resolve("st-big"), Map.of(), null)) {
            for (int i = 0; i < n; i++) {
                byte[] px = new byte[side * side * 3];
                if (i >= 16) {
                    r.nextBytes(px);
                } else {
                    Arrays.fill(px, (byte) (i * 12));
                }
                pixels.add(px);
                w.add("train", ByteBuffer.wrap(png(px, side)), ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, i));
            }
            w.commit();
        }
        ImageStage stage = new ImageStage("image", side, side, ImageStage.Crop.RESIZE, false, "auto", 2, false);
        LoaderConfig cfg = LoaderConfig.evaluation("train", 4).withImages(stage);
        Loader l = new Loader(Dataset.open(store), cfg, new DirectAllocator());
        try (l) {
            assertEquals(1 << 20, l.stagingBytes(), "the 1 MiB floor");
            assertEquals((long) cfg.batchBuffers() << 20, l.memory().stagingBytes());
            assertEquals(l.memory().stagingBytes(), l.pool().stagingBytes(), "allocated with the pool");
            for (int epoch = 0; epoch < 2; epoch++) {
                List<Map.Entry<Long, byte[]>> got = read(l, LoaderState.start(0, epoch), Integer.MAX_VALUE);
                assertEquals(n, got.size());
                for (int i = 0; i < n; i++) {
                    assertEquals(i, got.get(i).getKey());
                    assertArrayEquals(pixels.get(i), got.get(i).getValue(), "epoch " + epoch + ", image " + i);
                }
                if (epoch == 0) {
                    // one buffer was replaced by one of 2 MiB and its 1 MiB went back
                    assertEquals(5 << 20, l.pool().stagingBytes(), "three staging buffers of 1 MiB and one of 2 MiB");
                    assertEquals(5 << 20, l.memory().stagingBytes(), "memory() reports the grown buffer");
                }
            }
            // the second epoch's fifth batch met the grown buffer again, or grew another one
            long after = l.pool().stagingBytes();
            assertTrue(after == 5 << 20 || after == 6 << 20, "staging bytes after two epochs: " + after);
        }
        assertEquals(0, l.pool().stagingBytes(), "closing the loader frees every staging buffer");
    }
}
