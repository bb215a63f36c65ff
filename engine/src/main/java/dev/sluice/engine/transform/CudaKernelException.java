package dev.sluice.engine.transform;

/**
 * A CUDA driver call of the transform kernels failed: loading the PTX module, looking up a kernel
 * or launching it. The message names the call, the kernel and the CUDA error.
 */
public final class CudaKernelException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int cudaError;

    CudaKernelException(String message, int cudaError) {
        super(message);
        this.cudaError = cudaError;
    }

    CudaKernelException(String message, Throwable cause) {
        super(message, cause);
        this.cudaError = -1;
    }

    /** The {@code CUresult} code, or -1 when the failure was not a driver error code. */
    public int cudaError() {
        return cudaError;
    }
}
