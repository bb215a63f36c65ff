package dev.sluice.engine.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.sluice.data.format.Dataset;
import dev.sluice.data.loader.EpochStream;
import dev.sluice.data.loader.HostBatch;
import dev.sluice.data.loader.Loader;
import dev.sluice.data.loader.LoaderConfig;
import dev.sluice.data.loader.LoaderState;
import dev.sluice.data.memory.DirectAllocator;
import dev.sluice.data.store.FileStore;
import dev.sluice.data.testing.SyntheticDatasets;
import dev.sluice.data.transform.CpuBatchTransform;
import dev.sluice.data.transform.TransformSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CPU feeder against real loaders over real synthetic datasets and real DJL tensors: its floats
 * are the CPU twin's bit for bit, its labels the loader's, augmentation resumes exactly, and its
 * tensor ring is reused without overwriting held batches or leaking host batches.
 */
class HostFeederTest {

    // non-square so a height/width mix-up shows
    static final int H = 6;
    static final int W = 5;
    static final int C = 3;
    static final int N = 300;
    static final float[] MEAN = {0.49f, 0.48f, 0.45f};
    static final float[] STD = {0.25f, 0.24f, 0.26f};

    @TempDir
    static Path tmp;

    static FileStore store;
    static FileStore grayStore;
    static Dataset rgb;
    static Dataset gray;
    static NDManager manager;

    @BeforeAll
    static void write() throws IOException {
        store = new FileStore(tmp.resolve("rgb"));
        SyntheticDatasets.write(store, tmp.resolve("s1"), N, H, W, C, false, 3_000);
        rgb = Dataset.open(store);
        grayStore = new FileStore(tmp.resolve("gray"));
        SyntheticDatasets.write(grayStore, tmp.resolve("s2"), 250, 7, 9, 1, true, 4_000);
        gray = Dataset.open(grayStore);
        manager = NDManager.newBaseManager(Device.cpu());
    }

    @AfterAll
    static void close() {
        manager.close();
        store.close();
        grayStore.close();
    }

    static FeedSpec rgbSpec(int classes) {
        return new FeedSpec("pixels", "id", true, C, H, W, MEAN, STD, classes);
    }

    /** The stored pixels of the given samples, back to back, as the loader collates them. */
    static ByteBuffer pixels(long[] ids, int sampleBytes) {
        ByteBuffer all = ByteBuffer.allocateDirect(ids.length * sampleBytes);
        ByteBuffer one = ByteBuffer.allocate(sampleBytes);
        for (int i = 0; i < ids.length; i++) {
            SyntheticDatasets.fillPixels(ids[i], one.clear());
            all.put(i * sampleBytes, one.array());
        }
        return all;
    }

    /** What the CPU twin makes of those samples. */
    static float[] expected(TransformSpec spec, long[] ids, long firstSampleId) {
        ByteBuffer out = ByteBuffer.allocateDirect((int) (ids.length * spec.outputBytesPerSample()))
                .order(ByteOrder.nativeOrder());
        new CpuBatchTransform(spec).apply(pixels(ids, spec.inputBytesPerSample()), ids.length, firstSampleId, out);
        float[] f = new float[ids.length * spec.inputBytesPerSample()];
        out.asFloatBuffer().get(f);
        return f;
    }

    static void assertBitsEqual(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                throw new AssertionError(what + ": element " + i + " expected " + expected[i] + " but was " + actual[i]);
            }
        }
    }

    /** Sample ids of each batch, straight from a plain loader. */
    static List<long[]> loaderBatches(Dataset ds, LoaderConfig cfg, LoaderState state) throws IOException {
        List<long[]> out = new ArrayList<>();
        try (Loader l = new Loader(ds, cfg, new DirectAllocator()); EpochStream s = l.open(state)) {
            for (HostBatch next; (next = s.next()) != null; ) {
                try (HostBatch b = next) {
                    long[] ids = new long[b.size()];
                    for (int i = 0; i < ids.length; i++) {
                        ids[i] = b.sampleId(i);
                    }
                    out.add(ids);
                }
            }
        }
        return out;
    }

    @Test
    void floatsEqualTheCpuTwinAndLabelsEqualTheLoadersBatches() throws IOException {
        LoaderConfig cfg = LoaderConfig.training("train", 32, 5);
        List<long[]> reference = loaderBatches(rgb, cfg, LoaderState.start(5, 0));
        FeedSpec spec = rgbSpec(N);
        TransformSpec transform = spec.transform();
        HostDevice device = new HostDevice(0);
        int batches = 0;
        long first = 0;
        try (Loader l = new Loader(rgb, cfg, device.hostAllocator());
                Feeder f = device.feeder(l.open(LoaderState.start(5, 0)), manager, spec, transform)) {
            for (DeviceBatch next; (next = f.next()) != null; batches++) {
                try (DeviceBatch b = next) {
                    long[] ids = reference.get(batches);
                    assertEquals(ids.length, b.size());
                    assertEquals(new Shape(ids.length, C, H, W), b.inputs().getShape());
                    assertEquals(DataType.FLOAT32, b.inputs().getDataType());
                    assertEquals(new Shape(ids.length), b.labels().getShape());
                    assertEquals(DataType.INT64, b.labels().getDataType());
                    assertArrayEquals(ids, b.labels().toLongArray(), "labels of batch " + batches);
                    assertEquals(first, b.firstSampleId());
                    assertBitsEqual(expected(transform, ids, first), b.inputs().toFloatArray(), "batch " + batches);
                    assertEquals(0, b.copyNanos(), "no copy on the CPU");
                    assertTrue(b.transformNanos() > 0 && b.dataWaitNanos() >= 0);
                    first += b.size();
                }
            }
        }
        assertEquals(reference.size(), batches);
        assertEquals(N / 32, batches, "training drops the partial batch");
        assertEquals(device.hostAllocator().allocations(), device.hostAllocator().frees(), "batch pool freed");
        assertEquals(0, device.hostAllocator().liveBytes());
    }

    @Test
    void augmentationIsSeededByEpochPositionAndResumesExactly() throws IOException {
        LoaderConfig cfg = LoaderConfig.training("train", 20, 9);
        FeedSpec spec = rgbSpec(N);
        TransformSpec augmented = spec.augmented(2, true, FeedSpec.augmentSeed(9, 0, 0));
        List<float[]> full = new ArrayList<>();
        List<long[]> fullIds = new ArrayList<>();
        LoaderState afterThree = null;
        try (Loader l = new Loader(rgb, cfg, new DirectAllocator())) {
            EpochStream s = l.open(LoaderState.start(9, 0));
            try (HostFeeder f = new HostFeeder(s, manager, spec, augmented, 2)) {
                for (DeviceBatch next; (next = f.next()) != null; ) {
                    try (DeviceBatch b = next) {
                        long[] ids = b.labels().toLongArray();
                        float[] x = b.inputs().toFloatArray();
                        assertBitsEqual(expected(augmented, ids, b.firstSampleId()), x, "augmented batch " + full.size());
                        full.add(x);
                        fullIds.add(ids);
                    }
                    if (full.size() == 3) {
                        afterThree = s.state();
                    }
                }
            }
        }
        assertNotEquals(0, full.size());
        float[] plain = expected(spec.transform(), fullIds.get(0), 0);
        assertTrue(!java.util.Arrays.equals(plain, full.get(0)), "augmentation changed the first batch");

        try (Loader l = new Loader(rgb, cfg, new DirectAllocator());
                HostFeeder f = new HostFeeder(l.open(afterThree), manager, spec, augmented, 2)) {
            int k = 3;
            for (DeviceBatch next; (next = f.next()) != null; k++) {
                try (DeviceBatch b = next) {
                    assertEquals(3L * 20 + (k - 3) * 20L, b.firstSampleId());
                    assertArrayEquals(fullIds.get(k), b.labels().toLongArray(), "resumed batch " + k + " ids");
                    assertBitsEqual(full.get(k), b.inputs().toFloatArray(), "resumed batch " + k);
                }
            }
            assertEquals(full.size(), k, "the resumed epoch ends where the original did");
        }
    }

    @Test
    void ringIsReusedAndAHeldBatchIsNeverOverwritten() throws IOException {
        DirectAllocator batchMemory = new DirectAllocator();
        int baseline = manager.getManagedArrays().size();
        LoaderConfig cfg = LoaderConfig.training("train", 16, 3);
        try (Loader l = new Loader(rgb, cfg, batchMemory)) {
            try (HostFeeder f = new HostFeeder(l.open(LoaderState.start(3, 0)), manager, rgbSpec(N),
                    rgbSpec(N).transform(), 2)) {
                long address = -1;
                for (int i = 0; i < 4; i++) {
                    try (DeviceBatch b = f.next()) {
                        long a = NativeAddress.of(PyTorchInternals.memory(b.inputs()));
                        if (address >= 0) {
                            assertEquals(address, a, "a closed batch's tensor memory is reused");
                        }
                        address = a;
                    }
                }
                assertEquals(1, f.allocatedSlots(), "closing every batch keeps the ring at one slot");

                DeviceBatch held = f.next();
                float[] heldValues = held.inputs().toFloatArray();
                long[] heldLabels = held.labels().toLongArray();
                DeviceBatch second = f.next();
                assertEquals(2, f.allocatedSlots());
                long heldAddress = NativeAddress.of(PyTorchInternals.memory(held.inputs()));
                assertNotEquals(heldAddress, NativeAddress.of(PyTorchInternals.memory(second.inputs())));
                IllegalStateException full = assertThrows(IllegalStateException.class, f::next);
                assertTrue(full.getMessage().contains("close each batch"), full.getMessage());
                assertArrayEquals(heldValues, held.inputs().toFloatArray(), "the held batch is untouched");
                assertArrayEquals(heldLabels, held.labels().toLongArray());

                held.close();
                held.close(); // idempotent
                try (DeviceBatch third = f.next()) {
                    assertEquals(heldAddress, NativeAddress.of(PyTorchInternals.memory(third.inputs())),
                            "the slot freed by closing is the one reused");
                }
                second.close();
                while (true) {
                    DeviceBatch b = f.next();
                    if (b == null) {
                        break;
                    }
                    b.close();
                }
                assertEquals(2, f.allocatedSlots(), "no allocation per batch");
                assertNull(f.next(), "stays at the end");
            }
            assertEquals(baseline, manager.getManagedArrays().size(), "views and ring tensors are all freed");
        } // Loader.close throws if a host batch was not returned to the pool
        assertEquals(batchMemory.allocations(), batchMemory.frees());
        assertEquals(0, batchMemory.liveBytes());
    }

    @Test
    void fullInOrderEpochDeliversEverySampleOnceIncludingThePartialBatch() throws IOException {
        FeedSpec spec = new FeedSpec("pixels", "id", true, 1, 7, 9, new float[] {0.13f}, new float[] {0.31f}, 250);
        LoaderConfig cfg = LoaderConfig.evaluation("train", 32);
        List<Long> ids = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        try (Loader l = new Loader(gray, cfg, new DirectAllocator());
                HostFeeder f = new HostFeeder(l.open(LoaderState.start(0, 0)), manager, spec, spec.transform(), 2)) {
            for (DeviceBatch next; (next = f.next()) != null; ) {
                try (DeviceBatch b = next) {
                    assertEquals(new Shape(b.size(), 1, 7, 9), b.inputs().getShape());
                    long[] labels = b.labels().toLongArray();
                    assertBitsEqual(expected(spec.transform(), labels, b.firstSampleId()), b.inputs().toFloatArray(),
                            "batch of " + b.size());
                    for (long id : labels) {
                        ids.add(id);
                    }
                    sizes.add(b.size());
                }
            }
            assertEquals(250, f.delivered());
        }
        assertEquals(List.of(32, 32, 32, 32, 32, 32, 32, 26), sizes);
        assertEquals(LongStream.range(0, 250).boxed().toList(), ids.stream().sorted().toList(), "every sample once");
    }

    @Test
    void labelsOutsideTheClassesAreRejectedNamingTheSample() throws IOException {
        DirectAllocator batchMemory = new DirectAllocator();
        try (Loader l = new Loader(rgb, LoaderConfig.evaluation("train", 64), batchMemory);
                HostFeeder f = new HostFeeder(l.open(LoaderState.start(0, 0)), manager, rgbSpec(10),
                        rgbSpec(10).transform(), 2)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, f::next);
            assertTrue(e.getMessage().matches("sample \\d+ has label \\d+ in field 'id', outside the 10 classes.*"),
                    e.getMessage());
        }
        assertEquals(batchMemory.allocations(), batchMemory.frees(), "the failed batch went back to the pool");
    }

    @Test
    void mismatchedConfigurationIsRejectedUpFront() {
        FeedSpec spec = rgbSpec(N);
        try (Loader l = new Loader(rgb, LoaderConfig.evaluation("train", 8), new DirectAllocator())) {
            try (EpochStream s = l.open(LoaderState.start(0, 0))) {
                TransformSpec wrong = TransformSpec.builder(dev.sluice.data.transform.Layout.HWC, W, H, C).build();
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> new HostFeeder(s, manager, spec, wrong, 2));
                assertTrue(e.getMessage().contains("does not fit the input field 'pixels'"), e.getMessage());
                FeedSpec missing = new FeedSpec("image", "id", true, C, H, W, MEAN, STD, N);
                e = assertThrows(IllegalArgumentException.class,
                        () -> new HostFeeder(s, manager, missing, missing.transform(), 2));
                assertTrue(e.getMessage().contains("[pixels, id]"), e.getMessage());
                e = assertThrows(IllegalArgumentException.class, () -> new HostFeeder(s, manager, spec, spec.transform(), 0));
                assertTrue(e.getMessage().contains("at least 1"), e.getMessage());
            }
        }
    }
}
