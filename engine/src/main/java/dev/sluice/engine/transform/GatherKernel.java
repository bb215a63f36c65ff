package dev.sluice.engine.transform;

import dev.sluice.engine.device.CudaCallException;
import dev.sluice.engine.device.CudaProbe;
import dev.sluice.engine.device.DeviceUnavailableException;
import dev.sluice.engine.device.SlabGather;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * The device batch gather ({@code sluice_gather_samples} in {@code native/src/main/cuda/gather.cu}):
 * sample {@code i} of the batch is read from {@code slab + offsets[i]}, where the slab may be pinned
 * host memory (the device reads it through unified addressing) or device memory. Its CPU twin is
 * {@link SlabGather}. Loaded into the context current on the calling thread; close it in the same
 * context. Not yet wired into the loader: the pipeline still copies batches on the host.
 */
public final class GatherKernel implements AutoCloseable {

    /** The PTX on the classpath (from the sluice-native jar). */
    public static final String PTX_RESOURCE = "dev/sluice/kernels/gather.ptx";
    /** The kernel's entry point. */
    public static final String ENTRY = "sluice_gather_samples";
    private static final int BLOCK_SIZE = 256;
    private static final int MAX_BLOCKS = 4096;

    private final CUmodule module;
    private final CUfunction function;
    private boolean closed;

    private GatherKernel(CUmodule module, CUfunction function) {
        this.module = module;
        this.function = function;
    }

    /**
     * Loads the kernel into the current context.
     *
     * @throws DeviceUnavailableException without a usable GPU ({@link CudaProbe}'s reason)
     * @throws CudaCallException when the driver rejects the PTX or no context is current
     */
    public static GatherKernel load() {
        CudaProbe.Status status = CudaProbe.system();
        if (!status.available()) {
            throw new DeviceUnavailableException("the device gather needs a CUDA GPU: " + status.reason()
                    + "; use SlabGather on the CPU");
        }
        byte[] image = ptxImage();
        check(JCudaDriver.cuInit(0), "cuInit");
        CUmodule module = new CUmodule();
        check(JCudaDriver.cuModuleLoadData(module, image), "cuModuleLoadData(" + PTX_RESOURCE + ")");
        CUfunction f = new CUfunction();
        int rc = JCudaDriver.cuModuleGetFunction(f, module, ENTRY);
        if (rc != CUresult.CUDA_SUCCESS) {
            JCudaDriver.cuModuleUnload(module);
            check(rc, "cuModuleGetFunction(" + ENTRY + ")");
        }
        return new GatherKernel(module, f);
    }

    /**
     * Enqueues the gather on {@code stream}: {@code offsets.length} samples of {@code sampleBytes}
     * from the slab into {@code out}. {@code deviceOffsets} must already hold {@code offsets} as
     * 64-bit integers in device-readable memory; {@code offsets} is passed too so that every sample
     * is bounds-checked here, before the kernel can read outside the slab.
     */
    public void launch(long slab, long slabBytes, long[] offsets, long deviceOffsets, int sampleBytes, long out,
            long outBytes, CUstream stream) {
        if (closed) {
            throw new IllegalStateException("the gather kernel was unloaded");
        }
        SlabGather.check(slabBytes, offsets, sampleBytes, outBytes);
        long total = (long) offsets.length * sampleBytes;
        if (total == 0) {
            return;
        }
        int blocks = (int) Math.min(MAX_BLOCKS, (total + BLOCK_SIZE - 1) / BLOCK_SIZE);
        // each kernel parameter is passed as a pointer to its value; a device address is a 64-bit value
        Pointer params = Pointer.to(Pointer.to(new long[] {slab}), Pointer.to(new long[] {deviceOffsets}),
                Pointer.to(new long[] {out}), Pointer.to(new long[] {sampleBytes}), Pointer.to(new int[] {offsets.length}));
        check(JCudaDriver.cuLaunchKernel(function, blocks, 1, 1, BLOCK_SIZE, 1, 1, 0, stream, params, null),
                "cuLaunchKernel(" + ENTRY + ", " + offsets.length + " samples of " + sampleBytes + " bytes)");
    }

    /** Unloads the module. Idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            check(JCudaDriver.cuModuleUnload(module), "cuModuleUnload(" + PTX_RESOURCE + ")");
        }
    }

    private static void check(int rc, String call) {
        if (rc != CUresult.CUDA_SUCCESS) {
            throw new CudaCallException(call + " failed with " + CUresult.stringFor(rc), rc);
        }
    }

    private static byte[] ptxImage() {
        try (InputStream in = GatherKernel.class.getClassLoader().getResourceAsStream(PTX_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("PTX resource " + PTX_RESOURCE + " is not on the classpath: the"
                        + " sluice-native jar is missing from this build");
            }
            byte[] text = in.readAllBytes();
            return Arrays.copyOf(text, text.length + 1); // cuModuleLoadData reads PTX as a C string
        } catch (IOException e) {
            throw new UncheckedIOException("reading PTX resource " + PTX_RESOURCE, e);
        }
    }
}
