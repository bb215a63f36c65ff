package dev.sluice.engine.device;

import jcuda.runtime.cudaError;

/**
 * A CUDA runtime call failed on a device that is otherwise usable: the message names the call, the
 * device and the CUDA error, and {@link #error()} gives the {@code cudaError} code.
 */
public final class CudaCallException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int error;

    /**
     * @param message what was being done and where
     * @param error the {@code cudaError} code
     */
    public CudaCallException(String message, int error) {
        super(message);
        this.error = error;
    }

    /** The {@code cudaError} code. */
    public int error() {
        return error;
    }

    /**
     * Throws unless {@code rc} is {@code cudaSuccess}.
     *
     * @param rc the code a JCuda runtime call returned
     * @param call the call and its context, e.g. {@code "cudaMalloc(64 MiB) on cuda:0"}
     */
    public static void check(int rc, String call) {
        if (rc != cudaError.cudaSuccess) {
            throw new CudaCallException(call + " failed with " + cudaError.stringFor(rc) + hint(rc), rc);
        }
    }

    private static String hint(int rc) {
        if (rc == cudaError.cudaErrorMemoryAllocation) {
            return ": out of memory; use a smaller batch size or fewer buffers";
        }
        if (rc == cudaError.cudaErrorIllegalAddress || rc == cudaError.cudaErrorLaunchFailure) {
            return ": a kernel faulted earlier on this device; the CUDA context is unusable, restart the process";
        }
        return "";
    }
}
