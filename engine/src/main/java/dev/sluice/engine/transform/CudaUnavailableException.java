package dev.sluice.engine.transform;

/**
 * No usable CUDA driver: the JCuda native library or {@code libcuda.so.1} could not be loaded, or
 * the driver reports no device. Callers fall back to {@link dev.sluice.data.transform.CpuBatchTransform}.
 */
public final class CudaUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    CudaUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
