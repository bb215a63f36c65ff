package dev.sluice.nccl;

import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.cuda.global.nccl;
import org.bytedeco.javacpp.Loader;

/**
 * Loads JavaCPP's CUDA runtime and NCCL wrappers (and through them libcuda.so.1, libcudart.so.13 and
 * libnccl.so.2) and checks that a device is visible. Called once per JVM by {@link Nccl}; every
 * failure becomes one {@link NcclUnavailableException} whose message says what is missing.
 */
final class NativeLoader {
    /** Oldest NCCL whose API covers every call these bindings make ({@code ncclGetLastError} came in 2.13). */
    static final int MIN_NCCL_VERSION_CODE = 21300;

    private NativeLoader() {
    }

    static NcclRuntime load(NcclLoadOptions options) {
        String os = System.getProperty("os.name", "");
        String arch = System.getProperty("os.arch", "");
        if (!os.toLowerCase(Locale.ROOT).startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            throw new NcclUnavailableException("NCCL is not available: these bindings ship JavaCPP natives for"
                    + " linux-x86_64 only, and this JVM runs on " + os + "/" + arch + "; NCCL cannot be used"
                    + " on this platform.");
        }
        Optional<Path> cudartFile = options.resolvedCudaRuntimeLibrary();
        Optional<Path> ncclFile = options.resolvedNcclLibrary();
        try {
            // Explicit libraries first: once loaded by full path, the JNI wrappers' NEEDED entries
            // (matched by soname) bind to them instead of whatever the linker would find.
            if (cudartFile.isPresent()) {
                preload(cudartFile.get(), "cudart@.13", options);
            }
            if (ncclFile.isPresent()) {
                preload(ncclFile.get(), "nccl@.2", options);
            }
            // Initializes org.bytedeco.cuda.global.cudart and .nccl, which load libjnicudart.so and
            // libjninccl.so; a missing dependency surfaces here as an UnsatisfiedLinkError.
            Loader.load(nccl.class);
        } catch (LinkageError | RuntimeException e) {
            if (e instanceof NcclUnavailableException u) {
                throw u;
            }
            throw new NcclUnavailableException(LibraryProbe.unavailableMessage(LibraryProbe.reasonFor(e), options,
                    LibraryProbe.HOW_TO_FIX), e);
        }
        try {
            return probeRuntime(options);
        } catch (NcclException | CudaException e) {
            throw new NcclUnavailableException(LibraryProbe.unavailableMessage("the libraries loaded, but querying"
                    + " them failed: " + e.getMessage(), options, LibraryProbe.HOW_TO_FIX), e);
        }
    }

    /** Loads one library by its full path and registers it with JavaCPP under {@code libnameversion}. */
    private static void preload(Path file, String libnameversion, NcclLoadOptions options) {
        try {
            System.load(file.toString());
        } catch (UnsatisfiedLinkError e) {
            throw new NcclUnavailableException(LibraryProbe.unavailableMessage("the explicitly given library "
                    + file + " could not be loaded: " + LibraryProbe.firstMessage(e), options,
                    LibraryProbe.HOW_TO_FIX), e);
        }
        try {
            // Already loaded above, so this only records it: JavaCPP's own preload of the same name then
            // reuses this file instead of searching its link paths for another copy. The trailing '#'
            // stops JavaCPP from falling back to System.loadLibrary.
            // The class argument only selects the class loader (JavaCPP's own); it must not be null.
            Loader.loadLibrary(nccl.class, new URL[] {file.toUri().toURL()}, libnameversion + "#");
        } catch (MalformedURLException e) {
            throw new IllegalStateException("cannot form a URL for " + file, e);
        }
    }

    private static NcclRuntime probeRuntime(NcclLoadOptions options) {
        int[] value = new int[1];
        int error = cudart.cudaGetDeviceCount(value);
        if (error != cudart.cudaSuccess) {
            String name = Natives.string(cudart.cudaGetErrorName(error));
            String text = Natives.string(cudart.cudaGetErrorString(error));
            String advice = error == cudart.cudaErrorInsufficientDriver
                    ? "The NVIDIA driver is older than the CUDA 13 runtime needs: update it to R580 or newer."
                    : "Check that nvidia-smi lists a GPU, that CUDA_VISIBLE_DEVICES does not hide all devices,"
                            + " and that the container has the GPU device files.";
            throw new NcclUnavailableException(LibraryProbe.unavailableMessage(
                    "the CUDA libraries loaded, but cudaGetDeviceCount failed with " + name + " (" + error + "): "
                            + text, options, advice));
        }
        int devices = value[0];
        if (devices <= 0) {
            throw new NcclUnavailableException(LibraryProbe.unavailableMessage(
                    "the CUDA libraries loaded, but no CUDA device is visible", options,
                    "Check nvidia-smi and CUDA_VISIBLE_DEVICES."));
        }
        Natives.checkNccl(nccl.ncclGetVersion(value), "ncclGetVersion", null, -1, -1, null);
        int ncclVersion = value[0];
        if (ncclVersion < MIN_NCCL_VERSION_CODE) {
            throw new NcclUnavailableException(LibraryProbe.unavailableMessage("the loaded NCCL is version "
                    + NcclRuntime.versionString(ncclVersion) + ", older than the 2.13 these bindings need",
                    options, "Install a newer NCCL (the nvidia-nccl-cu13 wheel or NVIDIA's libnccl2 package)"
                            + " and put it first on LD_LIBRARY_PATH, or pass --nccl-lib PATH."));
        }
        Natives.checkCuda(cudart.cudaRuntimeGetVersion(value), "cudaRuntimeGetVersion", -1, null);
        int runtimeVersion = value[0];
        Natives.checkCuda(cudart.cudaDriverGetVersion(value), "cudaDriverGetVersion", -1, null);
        int driverVersion = value[0];
        return new NcclRuntime(ncclVersion, runtimeVersion, driverVersion, devices,
                mappedLibrary("libnccl.so").orElse("?"));
    }

    /**
     * Full path of the mapped library whose file name starts with {@code prefix}, read from
     * /proc/self/maps, so the runtime can say which libnccl the linker actually chose.
     */
    static Optional<String> mappedLibrary(String prefix) {
        Path maps = Path.of("/proc/self/maps");
        if (!Files.isReadable(maps)) {
            return Optional.empty();
        }
        try (Stream<String> lines = Files.lines(maps)) {
            return lines.map(l -> {
                int slash = l.indexOf('/');
                return slash < 0 ? "" : l.substring(slash).strip();
            }).filter(p -> {
                int i = p.lastIndexOf('/');
                return p.substring(i + 1).startsWith(prefix);
            }).findFirst();
        } catch (IOException | RuntimeException e) {
            // Diagnostics only; the runtime description then says "?".
            return Optional.empty();
        }
    }
}
