package dev.sluice.engine.device;

/**
 * One CUDA GPU as the driver reports it.
 *
 * @param ordinal CUDA device number (after {@code CUDA_VISIBLE_DEVICES})
 * @param name marketing name, e.g. "NVIDIA H100 80GB HBM3"
 * @param totalMemoryBytes device memory
 * @param major compute capability, major
 * @param minor compute capability, minor
 * @param copyEngines asynchronous copy engines (copies overlap kernels when at least 1)
 */
public record GpuInfo(int ordinal, String name, long totalMemoryBytes, int major, int minor, int copyEngines) {

    /** One line, e.g. {@code cuda:0 NVIDIA H100 80GB HBM3 (79.1 GiB, sm_90)}. */
    public String describe() {
        return String.format(java.util.Locale.ROOT, "cuda:%d %s (%.1f GiB, sm_%d%d)", ordinal, name,
                totalMemoryBytes / (double) (1L << 30), major, minor);
    }
}
