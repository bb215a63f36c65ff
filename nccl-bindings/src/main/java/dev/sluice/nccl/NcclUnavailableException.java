package dev.sluice.nccl;

/**
 * NCCL cannot be used in this JVM: a native library is missing or unusable, or no CUDA device is
 * visible. The message says what is missing and how to provide it; it is the one message to show the
 * user (the cause holds the linker's original error, if any).
 */
public class NcclUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with the user-facing message. */
    public NcclUnavailableException(String message) {
        super(message);
    }

    /** Creates the exception with the user-facing message and the underlying linker error. */
    public NcclUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
