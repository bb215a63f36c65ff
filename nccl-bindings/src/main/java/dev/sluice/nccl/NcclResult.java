package dev.sluice.nccl;

import java.util.Optional;

/**
 * NCCL result codes ({@code ncclResult_t}), with the C name, a short description (used when NCCL's
 * own {@code ncclGetErrorString} is not at hand) and a hint on what to check.
 */
public enum NcclResult {
    /** {@code ncclSuccess}. */
    SUCCESS(0, "ncclSuccess", "no error", ""),
    /** {@code ncclUnhandledCudaError}: a CUDA call made by NCCL failed. */
    UNHANDLED_CUDA_ERROR(1, "ncclUnhandledCudaError", "a CUDA call made by NCCL failed",
            "Check free device memory and the CUDA driver; NCCL_DEBUG=WARN prints the failing CUDA call."),
    /** {@code ncclSystemError}: a system call (socket, shared memory, file) failed. */
    SYSTEM_ERROR(2, "ncclSystemError", "a system call (socket, shared memory, file) failed",
            "Check the network interface NCCL uses (NCCL_SOCKET_IFNAME), firewalls between nodes and the"
                    + " size of /dev/shm; NCCL_DEBUG=WARN prints the failing call."),
    /** {@code ncclInternalError}: NCCL hit an internal error. */
    INTERNAL_ERROR(3, "ncclInternalError", "NCCL hit an internal error",
            "Rerun with NCCL_DEBUG=INFO for details; if it persists, try another NCCL version."),
    /** {@code ncclInvalidArgument}: an argument was invalid. */
    INVALID_ARGUMENT(4, "ncclInvalidArgument", "an argument was invalid",
            "Check the buffer addresses (device memory of this communicator's device), element count,"
                    + " data type, reduction operation and root rank."),
    /** {@code ncclInvalidUsage}: the API was used incorrectly. */
    INVALID_USAGE(5, "ncclInvalidUsage", "the API was used incorrectly",
            "Every rank must issue the same collectives in the same order with matching counts and types,"
                    + " a communicator must not be used by two threads at once, devices must not repeat in"
                    + " one communicator, and all ranks need the same NCCL version."),
    /** {@code ncclRemoteError}: a peer rank failed or the network connection broke. */
    REMOTE_ERROR(6, "ncclRemoteError", "a remote rank failed or the network connection broke",
            "Check the logs of the other ranks and the network between nodes."),
    /** {@code ncclInProgress}: the operation has not finished yet (nonblocking communicators). */
    IN_PROGRESS(7, "ncclInProgress", "the operation is still in progress",
            "The communicator is nonblocking: poll its asynchronous error until the operation completes."),
    /** {@code ncclTimeout}: the operation did not finish in time. */
    TIMEOUT(8, "ncclTimeout", "the operation timed out",
            "A rank did not join the operation in time: check that every rank is alive and issues the same"
                    + " collectives in the same order.");

    private static final NcclResult[] BY_CODE = values();

    private final int code;
    private final String ncclName;
    private final String description;
    private final String hint;

    NcclResult(int code, String ncclName, String description, String hint) {
        this.code = code;
        this.ncclName = ncclName;
        this.description = description;
        this.hint = hint;
    }

    /** The {@code ncclResult_t} value. */
    public int code() {
        return code;
    }

    /** The C enumerator name, e.g. {@code "ncclInvalidUsage"}. */
    public String ncclName() {
        return ncclName;
    }

    /** Short description of the failure; NCCL's own wording comes from {@code ncclGetErrorString}. */
    public String description() {
        return description;
    }

    /** What to check to fix it; empty for {@link #SUCCESS}. */
    public String hint() {
        return hint;
    }

    /** The result with the given {@code ncclResult_t} value, or empty if this enum does not know it. */
    public static Optional<NcclResult> fromCode(int code) {
        return code >= 0 && code < BY_CODE.length ? Optional.of(BY_CODE[code]) : Optional.empty();
    }

    /** The C name for any {@code ncclResult_t} value, e.g. {@code "ncclSystemError"} or {@code "ncclResult(42)"}. */
    public static String nameOf(int code) {
        return fromCode(code).map(NcclResult::ncclName).orElse("ncclResult(" + code + ")");
    }
}
