package dev.sluice.engine.transform;

import dev.sluice.engine.device.CudaCallException;
import dev.sluice.engine.device.CudaProbe;
import dev.sluice.engine.device.DeviceUnavailableException;
import dev.sluice.data.transform.TransformSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * The batch-transform kernels ({@code native/src/main/cuda/transform.cu}) loaded into one CUDA
 * context, launched on caller-provided streams and device memory. Results equal
 * {@link dev.sluice.data.transform.CpuBatchTransform}'s bit for bit.
 *
 * <p>Device management (contexts, streams, memory) belongs to the caller: {@link #load()} loads the
 * PTX into the context current on the calling thread, and launches must happen with that context
 * current. Nothing here touches JCuda until {@link #load()}: without a driver that call throws
 * {@link DeviceUnavailableException} and the class stays usable for {@link #kernelFor} and
 * {@link #ptxText()}.
 *
 * <p>Launches are asynchronous and thread-safe; a fault inside a kernel surfaces at the next
 * synchronizing call on the stream. {@link #close()} must not race with launches.
 */
public final class TransformKernels implements AutoCloseable {

    /** Classpath location of the PTX (packaged by the native module). */
    public static final String PTX_RESOURCE = "dev/sluice/kernels/transform.ptx";
    /** uint8 HWC/CHW to float32 CHW scaled by 1/255. */
    public static final String CONVERT = "sluice_convert_u8_f32";
    /** {@link #CONVERT} plus per-channel normalization. */
    public static final String NORMALIZE = "sluice_normalize_u8_f32";
    /** Random crop with zero padding and random flip, fused with {@link #NORMALIZE}. */
    public static final String AUGMENT_NORMALIZE = "sluice_augment_normalize_u8_f32";
    /** Every kernel entry the PTX must define. */
    public static final List<String> ENTRIES = List.of(CONVERT, NORMALIZE, AUGMENT_NORMALIZE);
    /** Threads per block of every launch. */
    public static final int BLOCK_SIZE = 256;

    // Must match SLUICE_MAX_CHANNELS in sluice_transform.cuh: the by-value parameter block is
    // float mean[16] followed by float inv_std[16].
    private static final int PARAM_CHANNELS = 16;
    private static final int MAX_GRID_Y = 65535;

    private final CUmodule module;
    private final CUfunction convert;
    private final CUfunction normalize;
    private final CUfunction augmentNormalize;
    private volatile boolean closed;

    private TransformKernels(CUmodule module, CUfunction convert, CUfunction normalize, CUfunction augmentNormalize) {
        this.module = module;
        this.convert = convert;
        this.normalize = normalize;
        this.augmentNormalize = augmentNormalize;
    }

    /**
     * Loads the kernels into the CUDA context current on this thread (the driver JIT-compiles the
     * PTX for the device on first load; the driver caches the result).
     *
     * @throws DeviceUnavailableException without a CUDA driver or device ({@link CudaProbe}'s reason)
     * @throws CudaCallException when no context is current or the driver rejects the PTX
     */
    public static TransformKernels load() {
        byte[] image = ptxImage();
        CudaProbe.Status status = CudaProbe.system();
        if (!status.available()) {
            throw new DeviceUnavailableException("CUDA is not available: " + status.reason() + ". Batch transforms"
                    + " on the GPU need an NVIDIA driver and GPU; on this host use"
                    + " dev.sluice.data.transform.CpuBatchTransform.");
        }
        try {
            int rc = JCudaDriver.cuInit(0);
            if (rc == CUresult.CUDA_ERROR_NO_DEVICE || rc == CUresult.CUDA_ERROR_STUB_LIBRARY
                    || rc == CUresult.CUDA_ERROR_SYSTEM_DRIVER_MISMATCH || rc == CUresult.CUDA_ERROR_SYSTEM_NOT_READY) {
                throw new DeviceUnavailableException("CUDA driver found but cuInit failed with "
                        + CUresult.stringFor(rc) + ": no usable GPU; use CpuBatchTransform on this host");
            }
            check(rc, "cuInit");
            CUmodule module = new CUmodule();
            rc = JCudaDriver.cuModuleLoadData(module, image);
            if (rc != CUresult.CUDA_SUCCESS) {
                throw new CudaCallException("loading " + PTX_RESOURCE + " failed with " + CUresult.stringFor(rc)
                        + ": " + loadHint(rc), rc);
            }
            try {
                return new TransformKernels(module, function(module, CONVERT), function(module, NORMALIZE),
                        function(module, AUGMENT_NORMALIZE));
            } catch (RuntimeException e) {
                JCudaDriver.cuModuleUnload(module);
                throw e;
            }
        } catch (LinkageError e) {
            // JCudaDriver's static initializer loads libJCudaDriver, which needs libcuda.so.1; the
            // first failure is an UnsatisfiedLinkError, later ones NoClassDefFoundError.
            throw new DeviceUnavailableException("CUDA is not available: the JCuda driver library could not be "
                    + "loaded (" + describe(e) + "). Batch transforms on the GPU need an NVIDIA driver "
                    + "(libcuda.so.1); on this host use dev.sluice.data.transform.CpuBatchTransform.", e);
        }
    }

    /**
     * The kernel {@link #launch} runs for {@code spec}: the fused augment kernel when the spec crops
     * or flips, else the normalize kernel when it normalizes, else plain conversion. All three give
     * the same values the fused kernel would for that spec.
     */
    public static String kernelFor(TransformSpec spec) {
        if (spec.augments()) {
            return AUGMENT_NORMALIZE;
        }
        return spec.normalizes() ? NORMALIZE : CONVERT;
    }

    /**
     * Transforms {@code batchSize} stored samples at device address {@code input} into float32 NCHW
     * at device address {@code output}, asynchronously on {@code stream}. Sample {@code i} draws its
     * crop and flip from sample id {@code firstSampleId + i}.
     *
     * @param stream stream to launch on; {@code null} means the context's default stream
     * @param input device address of {@code batchSize * spec.inputBytesPerSample()} bytes
     * @param output device address of {@code batchSize * spec.outputBytesPerSample()} bytes, 4-byte aligned
     * @throws CudaCallException if the driver refuses the launch
     */
    public void launch(TransformSpec spec, CUstream stream, long input, long output, int batchSize, long firstSampleId) {
        if (input == 0 || output == 0) {
            throw new IllegalArgumentException("device address is null (input 0x" + Long.toHexString(input)
                    + ", output 0x" + Long.toHexString(output) + ")");
        }
        if ((output & 3) != 0) {
            throw new IllegalArgumentException("output address 0x" + Long.toHexString(output)
                    + " is not 4-byte aligned for float32");
        }
        launch(spec, stream, Pointer.to(new long[] {input}), Pointer.to(new long[] {output}), batchSize,
                firstSampleId);
    }

    /** {@link #launch(TransformSpec, CUstream, long, long, int, long)} for JCuda device pointers. */
    public void launch(TransformSpec spec, CUstream stream, CUdeviceptr input, CUdeviceptr output, int batchSize,
            long firstSampleId) {
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(output, "output");
        launch(spec, stream, Pointer.to(input), Pointer.to(output), batchSize, firstSampleId);
    }

    private void launch(TransformSpec spec, CUstream stream, Pointer in, Pointer out, int batchSize,
            long firstSampleId) {
        Objects.requireNonNull(spec, "spec");
        if (closed) {
            throw new IllegalStateException("transform kernels are closed (module unloaded)");
        }
        if (batchSize < 0) {
            throw new IllegalArgumentException("batchSize = " + batchSize + " must not be negative");
        }
        if (batchSize == 0) {
            return;
        }
        String name = kernelFor(spec);
        Pointer n = Pointer.to(new int[] {batchSize});
        Pointer h = Pointer.to(new int[] {spec.height()});
        Pointer w = Pointer.to(new int[] {spec.width()});
        Pointer c = Pointer.to(new int[] {spec.channels()});
        Pointer layout = Pointer.to(new int[] {spec.layout().code()});
        CUfunction f;
        Pointer params;
        if (name.equals(CONVERT)) {
            f = convert;
            params = Pointer.to(in, out, n, h, w, c, layout);
        } else if (name.equals(NORMALIZE)) {
            f = normalize;
            params = Pointer.to(in, out, n, h, w, c, layout, Pointer.to(channelParams(spec)));
        } else {
            f = augmentNormalize;
            params = Pointer.to(in, out, n, h, w, c, layout, Pointer.to(channelParams(spec)),
                    Pointer.to(new int[] {spec.pad()}), Pointer.to(new int[] {spec.crop() ? 1 : 0}),
                    Pointer.to(new int[] {spec.flip() ? 1 : 0}), Pointer.to(new long[] {spec.seed()}),
                    Pointer.to(new long[] {firstSampleId}));
        }
        int pixels = spec.height() * spec.width();
        int gridX = (pixels + BLOCK_SIZE - 1) / BLOCK_SIZE;
        int gridY = Math.min(batchSize, MAX_GRID_Y);
        int rc = JCudaDriver.cuLaunchKernel(f, gridX, gridY, 1, BLOCK_SIZE, 1, 1, 0, stream, params, null);
        if (rc != CUresult.CUDA_SUCCESS) {
            throw new CudaCallException("launching " + name + " (grid " + gridX + "x" + gridY + ", block "
                    + BLOCK_SIZE + ") for " + batchSize + " samples of " + spec + " failed with "
                    + CUresult.stringFor(rc) + (rc == CUresult.CUDA_ERROR_INVALID_CONTEXT
                            ? ": make the context these kernels were loaded into current on this thread" : ""),
                    rc);
        }
    }

    /** Unloads the module from its context. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        int rc = JCudaDriver.cuModuleUnload(module);
        if (rc != CUresult.CUDA_SUCCESS) {
            throw new CudaCallException("unloading the transform module failed with " + CUresult.stringFor(rc), rc);
        }
    }

    /** The PTX text as packaged (for inspection and tests); needs no CUDA. */
    public static String ptxText() {
        byte[] image = ptxImage();
        return new String(image, 0, image.length - 1, StandardCharsets.US_ASCII);
    }

    // The PTX bytes plus a terminating NUL: cuModuleLoadData reads PTX as a C string.
    private static byte[] ptxImage() {
        ClassLoader loader = TransformKernels.class.getClassLoader();
        try (InputStream in = loader.getResourceAsStream(PTX_RESOURCE)) {
            if (in == null) {
                throw new CudaCallException("PTX resource " + PTX_RESOURCE + " is not on the classpath: the "
                        + "sluice-native jar is missing from this build", -1);
            }
            byte[] text = in.readAllBytes();
            return Arrays.copyOf(text, text.length + 1);
        } catch (IOException e) {
            throw new UncheckedIOException("reading PTX resource " + PTX_RESOURCE, e);
        }
    }

    private static float[] channelParams(TransformSpec spec) {
        float[] p = new float[2 * PARAM_CHANNELS];
        for (int c = 0; c < spec.channels(); c++) {
            p[c] = spec.mean(c);
            p[PARAM_CHANNELS + c] = spec.invStd(c);
        }
        return p;
    }

    private static CUfunction function(CUmodule module, String name) {
        CUfunction f = new CUfunction();
        int rc = JCudaDriver.cuModuleGetFunction(f, module, name);
        if (rc != CUresult.CUDA_SUCCESS) {
            throw new CudaCallException("kernel " + name + " not found in " + PTX_RESOURCE + ": "
                    + CUresult.stringFor(rc) + "; the PTX is out of date, rerun native/build-ptx.sh", rc);
        }
        return f;
    }

    private static void check(int rc, String call) {
        if (rc != CUresult.CUDA_SUCCESS) {
            throw new CudaCallException(call + " failed with " + CUresult.stringFor(rc), rc);
        }
    }

    private static String loadHint(int rc) {
        if (rc == CUresult.CUDA_ERROR_INVALID_CONTEXT) {
            return "no CUDA context is current on this thread; make the device's context current before load()";
        }
        if (rc == CUresult.CUDA_ERROR_UNSUPPORTED_PTX_VERSION) {
            return "the driver is older than the PTX (ISA 8.0, sm_80): install an NVIDIA driver for CUDA 12.0 or later";
        }
        if (rc == CUresult.CUDA_ERROR_NO_BINARY_FOR_GPU || rc == CUresult.CUDA_ERROR_INVALID_PTX) {
            return "the PTX targets compute capability 8.0 and later (Ampere, Hopper, ...); this GPU cannot run it";
        }
        return "see the CUDA driver documentation for this error";
    }

    // JCuda's UnsatisfiedLinkError message carries whole nested stack traces; the line that says why
    // (usually "libcuda.so.1: cannot open shared object file") is enough here, the cause keeps the rest.
    static String describe(Throwable e) {
        String reason = null;
        for (Throwable t = e; t != null && reason == null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ClassNotFoundException) {
                return "JCuda (org.jcuda:jcuda) is not on the classpath: " + t.getMessage();
            }
            String message = String.valueOf(t.getMessage());
            for (String line : message.split("\\R")) {
                if (line.contains("cannot open shared object file") || line.contains("undefined symbol")) {
                    reason = line.replace("java.lang.UnsatisfiedLinkError: ", "").trim();
                    break;
                }
            }
        }
        if (reason == null) {
            reason = e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage()).split("\\R", 2)[0];
        }
        return reason;
    }
}
