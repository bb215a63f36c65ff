package dev.sluice.nccl;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * An NCCL call returned a result other than {@code ncclSuccess}, or a collective failed
 * asynchronously or timed out. The message names the operation, the rank and device, the result
 * code ({@code ncclInvalidUsage (5)}), NCCL's error string, NCCL's last error message where
 * available, and what to check.
 */
public class NcclException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Value of {@link #rank()} / {@link #device()} fields when not known. */
    static final int UNKNOWN = -1;

    private final int code;
    private final String operation;
    private final int rank;
    private final int device;
    private final String errorString;
    private final String lastError;

    /**
     * Creates the exception for a failed NCCL call.
     *
     * @param code the {@code ncclResult_t} value returned (must not be {@code ncclSuccess})
     * @param operation what failed, e.g. {@code "ncclAllReduce"} or {@code "ncclCommInitRank"}
     * @param rank the rank of the communicator involved, or a negative value if none/unknown
     * @param device the CUDA device of the communicator involved, or a negative value if unknown
     * @param errorString NCCL's {@code ncclGetErrorString(code)}, or null/empty to use
     *     {@link NcclResult#description()}
     * @param lastError NCCL's {@code ncclGetLastError}, the detailed message of the last failure, or
     *     null/empty if not available
     * @param detail extra context from the caller (e.g. a timeout), or null/empty
     */
    public NcclException(int code, String operation, int rank, int device, String errorString,
            String lastError, String detail) {
        super(format(code, operation, rank, device, errorString, lastError, detail));
        if (code == NcclResult.SUCCESS.code()) {
            throw new IllegalArgumentException("ncclSuccess is not an error (operation " + operation + ")");
        }
        this.code = code;
        this.operation = operation;
        this.rank = rank < 0 ? UNKNOWN : rank;
        this.device = device < 0 ? UNKNOWN : device;
        this.errorString = orDefault(errorString, code);
        this.lastError = lastError == null ? "" : lastError.strip();
    }

    private static String orDefault(String errorString, int code) {
        if (errorString != null && !errorString.isBlank()) {
            return errorString.strip();
        }
        return NcclResult.fromCode(code).map(NcclResult::description).orElse("unknown NCCL result");
    }

    private static String format(int code, String operation, int rank, int device, String errorString,
            String lastError, String detail) {
        StringBuilder sb = new StringBuilder(256);
        sb.append(operation).append(" failed");
        if (rank >= 0) {
            sb.append(" on rank ").append(rank);
        }
        if (device >= 0) {
            sb.append(rank >= 0 ? " (device " : " on device ").append(device).append(rank >= 0 ? ")" : "");
        }
        sb.append(": ").append(NcclResult.nameOf(code)).append(" (").append(code).append("): ")
                .append(orDefault(errorString, code));
        if (lastError != null && !lastError.isBlank()) {
            sb.append("; NCCL last error: ").append(lastError.strip());
        }
        if (detail != null && !detail.isBlank()) {
            sb.append("; ").append(detail.strip());
        }
        String hint = NcclResult.fromCode(code).map(NcclResult::hint).orElse(
                "Unknown result code: the NCCL library may be newer than these bindings; run with NCCL_DEBUG=INFO.");
        sb.append(". ").append(hint);
        return sb.toString();
    }

    /** The {@code ncclResult_t} value. */
    public int code() {
        return code;
    }

    /** The C name of the result code, e.g. {@code "ncclRemoteError"}. */
    public String codeName() {
        return NcclResult.nameOf(code);
    }

    /** The result as an enum, or empty for a code this version of the bindings does not know. */
    public Optional<NcclResult> result() {
        return NcclResult.fromCode(code);
    }

    /** What failed, e.g. {@code "ncclAllReduce"}. */
    public String operation() {
        return operation;
    }

    /** Rank of the communicator involved, if known. */
    public OptionalInt rank() {
        return rank == UNKNOWN ? OptionalInt.empty() : OptionalInt.of(rank);
    }

    /** CUDA device of the communicator involved, if known. */
    public OptionalInt device() {
        return device == UNKNOWN ? OptionalInt.empty() : OptionalInt.of(device);
    }

    /** NCCL's error string for the code (or this module's description if NCCL's was not available). */
    public String errorString() {
        return errorString;
    }

    /** NCCL's last error message ({@code ncclGetLastError}); empty if none was available. */
    public String lastError() {
        return lastError;
    }
}
