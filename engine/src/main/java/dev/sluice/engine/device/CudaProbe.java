package dev.sluice.engine.device;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import jcuda.runtime.JCuda;
import jcuda.runtime.cudaDeviceProp;
import jcuda.runtime.cudaError;

/**
 * Finds CUDA GPUs through JCuda's runtime API, lazily: nothing touches JCuda before
 * {@link #system()} or {@link #probe()}, and a host without the NVIDIA driver (JCuda's native
 * library fails to link, or the runtime finds no {@code libcuda.so.1}) yields a status that says why
 * instead of an error.
 */
public final class CudaProbe {

    private static volatile Status system;

    private CudaProbe() {}

    /**
     * What a probe found.
     *
     * @param gpus the GPUs, in ordinal order; empty when CUDA is not usable
     * @param driverVersion the driver's CUDA version as {@code 1000 * major + 10 * minor}, 0 if unknown
     * @param reason why no GPU is usable (one line), or empty when {@code gpus} is not empty
     */
    public record Status(List<GpuInfo> gpus, int driverVersion, String reason) {

        public Status {
            gpus = List.copyOf(gpus);
        }

        /** A status with no GPU, for the given reason. */
        public static Status unavailable(String reason) {
            return new Status(List.of(), 0, reason);
        }

        /** Whether at least one GPU is usable. */
        public boolean available() {
            return !gpus.isEmpty();
        }

        /** The GPUs on one line, e.g. {@code cuda:0 NVIDIA H100 ... (79.1 GiB, sm_90)}. */
        public String describeGpus() {
            return gpus.stream().map(GpuInfo::describe).collect(Collectors.joining(", "));
        }
    }

    /** The status of this process's CUDA, probed once and remembered. */
    public static Status system() {
        Status s = system;
        if (s == null) {
            synchronized (CudaProbe.class) {
                s = system;
                if (s == null) {
                    s = probe();
                    system = s;
                }
            }
        }
        return s;
    }

    /**
     * Throws unless every ordinal names a GPU of this host: the engine's one answer to "what does
     * this host lack" for CUDA (NCCL's own message covers libnccl).
     *
     * @param purpose what the GPUs are for, e.g. {@code "NCCL"}, for the message
     * @throws DeviceUnavailableException without a usable driver or GPU, or for an ordinal out of range
     */
    public static Status requireGpus(String purpose, int... ordinals) {
        Status s = system();
        if (!s.available()) {
            throw new DeviceUnavailableException(purpose + " needs a CUDA GPU, and none is usable here: " + s.reason());
        }
        for (int o : ordinals) {
            if (o < 0 || o >= s.gpus().size()) {
                throw new DeviceUnavailableException(purpose + ": cuda:" + o + " does not exist; this host has "
                        + s.gpus().size() + " GPU(s): " + s.describeGpus());
            }
        }
        return s;
    }

    /** Probes now (no caching). Never throws for a missing driver; that is a status. */
    public static Status probe() {
        try {
            int[] count = {0};
            int rc = JCuda.cudaGetDeviceCount(count);
            if (rc != cudaError.cudaSuccess) {
                return Status.unavailable(reasonFor(rc));
            }
            if (count[0] == 0) {
                return Status.unavailable("the NVIDIA driver reports no GPU");
            }
            int[] driver = {0};
            JCuda.cudaDriverGetVersion(driver);
            List<GpuInfo> gpus = new ArrayList<>();
            for (int i = 0; i < count[0]; i++) {
                cudaDeviceProp p = new cudaDeviceProp();
                rc = JCuda.cudaGetDeviceProperties(p, i);
                if (rc != cudaError.cudaSuccess) {
                    return Status.unavailable("cudaGetDeviceProperties(" + i + ") failed with " + cudaError.stringFor(rc));
                }
                gpus.add(new GpuInfo(i, p.getName().trim(), p.totalGlobalMem, p.major, p.minor, p.asyncEngineCount));
            }
            return new Status(gpus, driver[0], "");
        } catch (LinkageError e) {
            // JCuda's static initializer failed to load its native library: the first call sees an
            // UnsatisfiedLinkError, later ones NoClassDefFoundError. Either way: no CUDA here.
            return Status.unavailable("the JCuda runtime library could not be loaded (" + firstLine(e) + ")");
        }
    }

    static String reasonFor(int rc) {
        String name = cudaError.stringFor(rc);
        if (rc == cudaError.cudaErrorInsufficientDriver) {
            return "no NVIDIA driver was found (libcuda.so.1 is missing or older than CUDA 12): " + name;
        }
        if (rc == cudaError.cudaErrorNoDevice) {
            return "the NVIDIA driver reports no GPU (check CUDA_VISIBLE_DEVICES): " + name;
        }
        if (rc == cudaError.cudaErrorStubLibrary) {
            return "libcuda.so.1 is the CUDA toolkit's stub, not a driver: remove the stubs folder from the library path ("
                    + name + ")";
        }
        if (rc == cudaError.cudaErrorSystemDriverMismatch) {
            return "the NVIDIA kernel module and libcuda.so.1 have different versions: reinstall the driver (" + name + ")";
        }
        return "cudaGetDeviceCount failed with " + name;
    }

    // JCuda's link errors carry whole nested stack traces in their message: keep the line that says why.
    static String firstLine(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String message = String.valueOf(t.getMessage());
            for (String line : message.split("\\R")) {
                if (line.contains("cannot open shared object file") || line.contains("undefined symbol")) {
                    return line.replace("java.lang.UnsatisfiedLinkError: ", "").trim();
                }
            }
        }
        String first = String.valueOf(e.getMessage()).split("\\R", 2)[0].trim();
        return e.getClass().getSimpleName() + ": " + first;
    }
}
