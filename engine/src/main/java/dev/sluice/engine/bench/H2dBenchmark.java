package dev.sluice.engine.bench;

import dev.sluice.data.memory.DirectAllocator;
import dev.sluice.data.transform.Layout;
import dev.sluice.data.transform.TransformSpec;
import dev.sluice.engine.device.CudaCallException;
import dev.sluice.engine.device.CudaGpu;
import dev.sluice.engine.device.CudaProbe;
import dev.sluice.engine.device.DeviceBuffer;
import dev.sluice.engine.device.DeviceStager;
import dev.sluice.engine.device.DeviceUnavailableException;
import dev.sluice.engine.device.DevicePointer;
import dev.sluice.engine.device.NativeAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import jcuda.Pointer;
import jcuda.runtime.JCuda;
import jcuda.runtime.cudaMemcpyKind;

/**
 * {@code bench h2d}: host-to-device bandwidth of pageable memory (Java heap and direct buffers)
 * and pinned memory with plain {@code cudaMemcpy}, against the feeder's sustained rate through its
 * {@link DeviceStager} (pinned batch, async copy on the copy stream, transform kernel into float32,
 * events, slots handed back by a consumer stream), all in one run on one GPU. Needs no DJL.
 *
 * <p>Batches are 224x224x3 uint8 images (HWC), so each size is rounded to whole images; the
 * result records the bytes actually moved.
 */
public final class H2dBenchmark {

    /** Sizes used when none are given: 1 MiB, 16 MiB, 64 MiB (rounded to whole images). */
    public static final long[] DEFAULT_SIZES = {1L << 20, 16L << 20, 64L << 20};
    /** Timed transfers per method when none are given. */
    public static final int DEFAULT_ITERATIONS = 50;

    private static final int SIDE = 224;
    private static final int CHANNELS = 3;
    private static final int SLOTS = 3;
    private static final int WARMUP = 3;

    private H2dBenchmark() {}

    /** {@link #run(int, long[], int)} on GPU 0. */
    public static List<H2dBenchmarkResult> run(long[] sizes, int iterations) {
        return run(0, sizes, iterations);
    }

    /**
     * Measures every method for every size on GPU {@code ordinal}.
     *
     * @param sizes bytes per transfer (each rounded down to whole 224x224x3 images, at least one)
     * @param iterations timed transfers per method and size
     * @throws DeviceUnavailableException without a CUDA GPU ("bench h2d needs a CUDA GPU: ...")
     */
    public static List<H2dBenchmarkResult> run(int ordinal, long[] sizes, int iterations) {
        if (iterations < 1) {
            throw new IllegalArgumentException("iterations must be at least 1, got " + iterations);
        }
        CudaProbe.Status status = CudaProbe.system();
        if (!status.available()) {
            throw new DeviceUnavailableException("bench h2d needs a CUDA GPU: " + status.reason());
        }
        List<H2dBenchmarkResult> out = new ArrayList<>();
        try (CudaGpu gpu = CudaGpu.open(ordinal)) {
            TransformSpec spec = TransformSpec.builder(Layout.HWC, SIDE, SIDE, CHANNELS)
                    .normalize(new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f}).build();
            for (long size : sizes) {
                out.add(measure(gpu, spec, imagesFor(size), iterations));
            }
        }
        return out;
    }

    /** Whole 224x224x3 uint8 images in {@code bytes}, at least one: what one transfer carries. */
    static int imagesFor(long bytes) {
        return (int) Math.max(1, bytes / ((long) SIDE * SIDE * CHANNELS));
    }

    private static H2dBenchmarkResult measure(CudaGpu gpu, TransformSpec spec, int images, int iterations) {
        int bytes = Math.multiplyExact(images, spec.inputBytesPerSample());
        DirectAllocator direct = new DirectAllocator();
        byte[] heap = new byte[bytes];
        for (int i = 0; i < bytes; i++) {
            heap[i] = (byte) (i * 31 + (i >>> 11));
        }
        ByteBuffer pageable = direct.allocate(bytes);
        ByteBuffer pinned = gpu.pinnedAllocator().allocate(bytes);
        pageable.put(0, heap);
        pinned.put(0, heap);
        List<DeviceBuffer> buffers = new ArrayList<>();
        try {
            DeviceBuffer dst = DeviceBuffer.allocate(gpu, bytes);
            buffers.add(dst);
            double heapGBps = memcpyRate(gpu, dst, Pointer.to(heap), bytes, iterations);
            double directGBps = memcpyRate(gpu, dst, new DevicePointer(NativeAddress.of(pageable)), bytes, iterations);
            double pinnedGBps = memcpyRate(gpu, dst, new DevicePointer(NativeAddress.of(pinned)), bytes, iterations);

            List<DeviceStager.Target> targets = new ArrayList<>();
            for (int s = 0; s < SLOTS; s++) {
                DeviceBuffer target = DeviceBuffer.allocate(gpu, images * spec.outputBytesPerSample());
                buffers.add(target);
                targets.add(new DeviceStager.Target(target.address(), 0));
            }
            double feederGBps;
            double copyEventGBps;
            try (DeviceStager stager = new DeviceStager(gpu, spec, images, targets)) {
                feed(gpu, stager, pinned, images, WARMUP);
                long t0 = System.nanoTime();
                long copyNanos = feed(gpu, stager, pinned, images, iterations);
                long wall = System.nanoTime() - t0;
                feederGBps = (double) bytes * iterations / wall;
                copyEventGBps = (double) bytes * iterations / Math.max(1, copyNanos);
            }
            return new H2dBenchmarkResult(gpu.info().describe(), bytes, iterations, heapGBps, directGBps, pinnedGBps,
                    feederGBps, copyEventGBps, feederGBps / pinnedGBps);
        } finally {
            for (DeviceBuffer b : buffers) {
                b.close();
            }
            gpu.pinnedAllocator().free(pinned);
            direct.free(pageable);
        }
    }

    // Synchronous copies, host-timed after warm-up: what a plain cudaMemcpy loop achieves.
    private static double memcpyRate(CudaGpu gpu, DeviceBuffer dst, Pointer src, int bytes, int iterations) {
        gpu.makeCurrent();
        for (int i = 0; i < WARMUP + iterations; i++) {
            if (i == WARMUP) {
                long t0 = System.nanoTime();
                for (int k = 0; k < iterations; k++) {
                    copy(dst, src, bytes);
                }
                return (double) bytes * iterations / (System.nanoTime() - t0);
            }
            copy(dst, src, bytes);
        }
        throw new AssertionError("unreachable");
    }

    private static void copy(DeviceBuffer dst, Pointer src, int bytes) {
        CudaCallException.check(JCuda.cudaMemcpy(dst.pointer(), src, bytes, cudaMemcpyKind.cudaMemcpyHostToDevice),
                "cudaMemcpy(" + bytes + " bytes, host to device)");
    }

    /**
     * Streams {@code batches} batches through the stager as the feeder does (acquire, stage,
     * consume on the compute stream, release), then waits for the last one. Returns the summed
     * event-timed copy nanoseconds.
     */
    private static long feed(CudaGpu gpu, DeviceStager stager, ByteBuffer pinned, int images, int batches) {
        long copyNanos = 0;
        DeviceStager.Slot[] inFlight = new DeviceStager.Slot[stager.slots()];
        for (int i = 0; i < batches; i++) {
            DeviceStager.Slot s = stager.acquire();
            if (inFlight[s.index()] != null) {
                copyNanos += stager.copyNanos(s);
            }
            stager.stage(s, pinned, images, (long) i * images, false);
            stager.consume(s);
            stager.release(s);
            inFlight[s.index()] = s;
        }
        for (DeviceStager.Slot s : inFlight) {
            if (s != null) {
                stager.awaitReady(s);
                copyNanos += stager.copyNanos(s);
            }
        }
        gpu.syncCopies();
        return copyNanos;
    }
}
