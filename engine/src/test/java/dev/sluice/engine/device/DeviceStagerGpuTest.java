package dev.sluice.engine.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.data.format.DType;
import dev.sluice.data.format.FieldSpec;
import dev.sluice.data.loader.BatchPool;
import dev.sluice.data.transform.CpuBatchTransform;
import dev.sluice.data.transform.Layout;
import dev.sluice.data.transform.SampleRandom;
import dev.sluice.data.transform.TransformSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import jcuda.Pointer;
import jcuda.driver.CUstream;
import jcuda.runtime.JCuda;
import jcuda.runtime.cudaMemcpyKind;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The CUDA pipeline on a real GPU, without DJL (DJL's CUDA natives are not available on the GPU
 * hosts): pinned memory, byte-exact copies through the stager, its kernels against the CPU twin,
 * copy/compute overlap and slot reuse ordering seen in CUDA event timings. Skipped without a GPU.
 * Needs only the engine and data classes, the native module's PTX, JCuda and JUnit, so it runs from
 * the JUnit console launcher.
 */
class DeviceStagerGpuTest {

    private static CudaGpu gpu;
    private final List<AutoCloseable> resources = new ArrayList<>();

    @BeforeAll
    static void open() {
        GpuAssumptions.gpus(1);
        gpu = CudaGpu.open(0);
    }

    @AfterAll
    static void closeGpu() {
        if (gpu != null) {
            gpu.close();
        }
    }

    @AfterEach
    void free() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
        resources.clear();
    }

    private <T extends AutoCloseable> T keep(T r) {
        resources.add(r);
        return r;
    }

    private DeviceBuffer device(long bytes) {
        return keep(DeviceBuffer.allocate(gpu, bytes));
    }

    private ByteBuffer pinned(int bytes) {
        ByteBuffer b = gpu.pinnedAllocator().allocate(bytes);
        resources.add(() -> gpu.pinnedAllocator().free(b));
        return b;
    }

    private static void fill(ByteBuffer b, int bytes, long seed) {
        for (int i = 0; i < bytes; i++) {
            b.put(i, (byte) (SampleRandom.mix64(seed * 1_000_003 + i) >>> 56));
        }
    }

    private static byte[] download(long address, int bytes) {
        byte[] out = new byte[bytes];
        CudaCallException.check(JCuda.cudaMemcpy(Pointer.to(out), new DevicePointer(address), bytes,
                cudaMemcpyKind.cudaMemcpyDeviceToHost), "cudaMemcpy D2H");
        return out;
    }

    private static float[] downloadFloats(long address, int count) {
        float[] out = new float[count];
        CudaCallException.check(JCuda.cudaMemcpy(Pointer.to(out), new DevicePointer(address), 4L * count,
                cudaMemcpyKind.cudaMemcpyDeviceToHost), "cudaMemcpy D2H");
        return out;
    }

    private static float[] cpuTwin(TransformSpec spec, ByteBuffer images, int n, long first) {
        ByteBuffer out = ByteBuffer.allocateDirect((int) (n * spec.outputBytesPerSample())).order(ByteOrder.nativeOrder());
        new CpuBatchTransform(spec).apply(images.duplicate().position(0), n, first, out);
        float[] f = new float[n * spec.inputBytesPerSample()];
        out.asFloatBuffer().get(f);
        return f;
    }

    private static void assertBitsEqual(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                throw new AssertionError(what + ": element " + i + " expected " + expected[i] + " but was " + actual[i]);
            }
        }
    }

    private List<DeviceStager.Target> targets(TransformSpec spec, int capacity, int slots, boolean labels) {
        List<DeviceStager.Target> t = new ArrayList<>();
        for (int i = 0; i < slots; i++) {
            t.add(new DeviceStager.Target(device(capacity * spec.outputBytesPerSample()).address(),
                    labels ? device(8L * capacity).address() : 0));
        }
        return t;
    }

    @Test
    void pinnedPoolAllocatesRealPageLockedMemoryAndFreesItAll() {
        PinnedAllocator pinned = gpu.pinnedAllocator();
        long allocations = pinned.allocations();
        long frees = pinned.frees();
        long live = pinned.liveBytes();
        List<FieldSpec> fields = List.of(FieldSpec.of("pixels", DType.UINT8, 32, 32, 3), FieldSpec.of("label", DType.INT64));
        BatchPool pool = new BatchPool(pinned, fields, 64, 4);
        assertEquals(allocations + 8, pinned.allocations(), "4 batches x 2 fields, allocated once");
        assertEquals(live + 4L * 64 * (32 * 32 * 3 + 8), pinned.liveBytes());
        pool.close();
        assertEquals(frees + 8, pinned.frees(), "every buffer freed");
        assertEquals(live, pinned.liveBytes());

        int bytes = 3 << 20;
        ByteBuffer src = pinned(bytes);
        ByteBuffer back = pinned(bytes);
        assertTrue(pinned.pinned() && src.isDirect() && src.order() == ByteOrder.nativeOrder());
        fill(src, bytes, 1);
        DeviceBuffer d = device(bytes);
        CudaCallException.check(JCuda.cudaMemcpyAsync(d.pointer(), new DevicePointer(NativeAddress.of(src)), bytes,
                cudaMemcpyKind.cudaMemcpyHostToDevice, gpu.copyStream()), "H2D");
        CudaCallException.check(JCuda.cudaMemcpyAsync(new DevicePointer(NativeAddress.of(back)), d.pointer(), bytes,
                cudaMemcpyKind.cudaMemcpyDeviceToHost, gpu.copyStream()), "D2H");
        gpu.syncCopies();
        assertEquals(src.duplicate().clear(), back.duplicate().clear(), "bytes survive the round trip");
        assertThrows(IllegalArgumentException.class, () -> pinned.free(ByteBuffer.allocateDirect(16)));
    }

    @Test
    void stagerCopiesImagesAndLabelsByteForByte() {
        TransformSpec spec = TransformSpec.builder(Layout.HWC, 8, 8, 3).build();
        int capacity = 16;
        int n = 13; // a partial batch
        try (DeviceStager stager = new DeviceStager(gpu, spec, capacity, targets(spec, capacity, 2, true))) {
            ByteBuffer images = pinned(capacity * spec.inputBytesPerSample());
            fill(images, n * spec.inputBytesPerSample(), 2);
            DeviceStager.Slot s = stager.acquire();
            long[] labels = new long[n];
            for (int i = 0; i < n; i++) {
                labels[i] = 1000L * i - 7;
                s.hostLabels().putLong(8 * i, labels[i]);
            }
            stager.stage(s, images, n, 0, true);
            stager.consume(s);
            stager.awaitReady(s);
            byte[] expected = new byte[n * spec.inputBytesPerSample()];
            images.get(0, expected);
            assertArrayEquals(expected, download(s.deviceInput(), expected.length), "staged uint8 copy");
            ByteBuffer got = ByteBuffer.wrap(download(s.target().labelAddress(), 8 * n)).order(ByteOrder.nativeOrder());
            for (int i = 0; i < n; i++) {
                assertEquals(labels[i], got.getLong(8 * i), "label " + i);
            }
            assertTrue(stager.copyNanos(s) > 0 && stager.transformNanos(s) > 0, "event times");
            stager.release(s);
        }
    }

    @Test
    void kernelsThroughTheStagerEqualTheCpuTwinAcrossRingReuse() {
        float[] mean3 = {0.485f, 0.456f, 0.406f};
        float[] std3 = {0.229f, 0.224f, 0.225f};
        List<TransformSpec> specs = List.of(
                TransformSpec.builder(Layout.HWC, 32, 32, 3).normalize(mean3, std3).build(),
                TransformSpec.builder(Layout.HWC, 32, 32, 3).normalize(mean3, std3).randomCrop(4).flip(true).seed(17).build(),
                TransformSpec.builder(Layout.CHW, 24, 40, 3).normalize(mean3, std3).randomCrop(3).flip(true).seed(5).build(),
                TransformSpec.builder(Layout.HWC, 28, 28, 1).normalize(new float[] {0.1307f}, new float[] {0.3081f})
                        .randomCrop(2).seed(3).build());
        int capacity = 24;
        for (TransformSpec spec : specs) {
            try (DeviceStager stager = new DeviceStager(gpu, spec, capacity, targets(spec, capacity, 2, false))) {
                ByteBuffer images = pinned(capacity * spec.inputBytesPerSample());
                long first = 123_456;
                for (int batch = 0; batch < 5; batch++) { // 5 batches through 2 slots
                    int n = batch == 4 ? 7 : capacity;
                    fill(images, n * spec.inputBytesPerSample(), 100 + batch);
                    DeviceStager.Slot s = stager.acquire();
                    stager.stage(s, images, n, first, false);
                    stager.consume(s);
                    stager.awaitReady(s);
                    float[] gpuOut = downloadFloats(s.target().imageAddress(), n * spec.inputBytesPerSample());
                    assertBitsEqual(cpuTwin(spec, images, n, first), gpuOut, spec + " batch " + batch);
                    stager.release(s);
                    first += n;
                }
            }
        }
    }

    /**
     * Dummy compute on the compute stream: transform launches over 64 MiB in, 256 MiB out, each long
     * enough (~0.1 ms) that the GPU, not the host's launch rate, sets the pace.
     */
    private final class Busywork {
        static final int SAMPLES = 16;
        final TransformSpec spec = TransformSpec.builder(Layout.HWC, 1024, 1024, 4).build();
        final DeviceBuffer in = device((long) SAMPLES * spec.inputBytesPerSample());
        final DeviceBuffer out = device(SAMPLES * spec.outputBytesPerSample());
        final CUstream compute = new CUstream(gpu.computeStream());

        void launch(int times) {
            for (int i = 0; i < times; i++) {
                gpu.kernels().launch(spec, compute, in.address(), out.address(), SAMPLES, 0);
            }
        }

        /** Launches needed for about {@code millis} of device time. */
        int launchesFor(double millis) {
            try (CudaEvent a = CudaEvent.create(true, "calibration start"); CudaEvent b = CudaEvent.create(true, "calibration end")) {
                launch(2);
                a.record(gpu.computeStream());
                launch(20);
                b.record(gpu.computeStream());
                double perLaunchMs = b.nanosSince(a) / 1e6 / 20;
                return (int) Math.ceil(millis / Math.max(perLaunchMs, 1e-4));
            }
        }
    }

    @Test
    void copyOfTheNextBatchOverlapsComputeOfTheCurrentOne() {
        Busywork busy = new Busywork();
        int launches = busy.launchesFor(30);
        TransformSpec spec = TransformSpec.builder(Layout.HWC, 224, 224, 3).build();
        int capacity = 256; // 38.5 MB of uint8 per batch
        try (DeviceStager stager = new DeviceStager(gpu, spec, capacity, targets(spec, capacity, 2, false));
                CudaEvent computeStart = CudaEvent.create(true, "compute start");
                CudaEvent computeEnd = CudaEvent.create(true, "compute end")) {
            ByteBuffer images = pinned(capacity * spec.inputBytesPerSample());
            fill(images, 4096, 9);
            DeviceStager.Slot current = stager.acquire();
            stager.stage(current, images, capacity, 0, false);
            stager.consume(current);
            computeStart.record(gpu.computeStream());
            busy.launch(launches); // "the model" computing batch N
            computeEnd.record(gpu.computeStream());
            DeviceStager.Slot next = stager.acquire();
            stager.stage(next, images, capacity, capacity, false); // batch N+1
            stager.awaitReady(next);
            computeEnd.await();
            long compute = computeEnd.nanosSince(computeStart);
            long copyStartOffset = stager.copyStartEvent(next).nanosSince(computeStart);
            long copyEndOffset = stager.copiedEvent(next).nanosSince(computeStart);
            String timeline = "compute 0.." + compute / 1000 + " us, copy of N+1 " + copyStartOffset / 1000 + ".."
                    + copyEndOffset / 1000 + " us";
            assertTrue(compute > 5_000_000, "the dummy compute is long enough to see overlap: " + timeline);
            assertTrue(copyEndOffset < compute, "the copy of N+1 finished while N was still computing: " + timeline);
            assertTrue(copyEndOffset - copyStartOffset > 100_000, "a real copy: " + timeline);
            System.out.println("overlap: " + timeline);
            stager.release(current);
            stager.consume(next);
            stager.release(next);
        }
    }

    @Test
    void aSlotIsRestagedOnlyAfterTheComputeThatReadItAndNotWhileHeld() {
        Busywork busy = new Busywork();
        int launches = busy.launchesFor(10);
        TransformSpec spec = TransformSpec.builder(Layout.HWC, 16, 16, 3).randomCrop(2).flip(true).seed(1).build();
        int capacity = 8;
        try (DeviceStager stager = new DeviceStager(gpu, spec, capacity, targets(spec, capacity, 2, false));
                CudaEvent computeEnd = CudaEvent.create(true, "compute end")) {
            ByteBuffer images = pinned(capacity * spec.inputBytesPerSample());
            fill(images, capacity * spec.inputBytesPerSample(), 4);
            DeviceStager.Slot a = stager.acquire();
            stager.stage(a, images, capacity, 0, false);
            stager.consume(a);
            busy.launch(launches); // compute reading slot a's target
            computeEnd.record(gpu.computeStream());
            DeviceStager.Slot b = stager.acquire();
            stager.stage(b, images, capacity, capacity, false);
            stager.consume(b);
            assertNull(stager.tryAcquire(), "both slots held");
            IllegalStateException e = assertThrows(IllegalStateException.class, stager::acquire);
            assertTrue(e.getMessage().contains("release (close) consumed batches"), e.getMessage());
            stager.release(a); // recorded on the compute stream after the busywork
            DeviceStager.Slot again = stager.acquire();
            assertEquals(a.index(), again.index());
            stager.stage(again, images, capacity, 2L * capacity, false);
            stager.awaitReady(again);
            long gap = stager.copyStartEvent(again).nanosSince(computeEnd);
            assertTrue(gap >= 0, "the copy into the reused slot started " + gap + " ns after the compute that read it");
            assertBitsEqual(cpuTwin(spec, images, capacity, 2L * capacity),
                    downloadFloats(again.target().imageAddress(), capacity * spec.inputBytesPerSample()), "restaged slot");
            stager.consume(again);
            stager.release(again);
            stager.release(b);
            assertEquals(2, stager.freeSlots());
            assertNotNull(stager.tryAcquire());
        }
    }
}
