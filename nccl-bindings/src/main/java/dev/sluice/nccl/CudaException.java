package dev.sluice.nccl;

import java.util.OptionalInt;

/**
 * A CUDA runtime call made by these bindings failed (setting the device, querying a stream). The
 * message names the call, the device, the {@code cudaError_t} name and CUDA's description.
 */
public class CudaException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int code;
    private final String codeName;
    private final String operation;
    private final int device;

    /**
     * Creates the exception for a failed CUDA runtime call.
     *
     * @param code the {@code cudaError_t} value
     * @param codeName CUDA's {@code cudaGetErrorName(code)}, e.g. {@code "cudaErrorIllegalAddress"}
     * @param description CUDA's {@code cudaGetErrorString(code)}
     * @param operation what failed, e.g. {@code "cudaStreamQuery"}
     * @param device the CUDA device involved, or a negative value if unknown
     * @param detail extra context, or null/empty
     */
    public CudaException(int code, String codeName, String description, String operation, int device,
            String detail) {
        super(operation + " failed" + (device >= 0 ? " on device " + device : "") + ": " + codeName + " ("
                + code + "): " + description
                + (detail == null || detail.isBlank() ? "" : "; " + detail.strip()));
        this.code = code;
        this.codeName = codeName;
        this.operation = operation;
        this.device = device < 0 ? -1 : device;
    }

    /** The {@code cudaError_t} value. */
    public int code() {
        return code;
    }

    /** CUDA's name of the error, e.g. {@code "cudaErrorLaunchFailure"}. */
    public String codeName() {
        return codeName;
    }

    /** What failed, e.g. {@code "cudaSetDevice"}. */
    public String operation() {
        return operation;
    }

    /** The CUDA device involved, if known. */
    public OptionalInt device() {
        return device < 0 ? OptionalInt.empty() : OptionalInt.of(device);
    }
}
