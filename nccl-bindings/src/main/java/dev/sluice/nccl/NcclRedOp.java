package dev.sluice.nccl;

/**
 * Built-in reduction operations ({@code ncclRedOp_t}). The codes are the values of the enum in
 * {@code nccl.h}; tests check them against JavaCPP's generated constants (compile-time values only).
 */
public enum NcclRedOp {
    /** {@code ncclSum}. */
    SUM(0),
    /** {@code ncclProd}. */
    PROD(1),
    /** {@code ncclMax}. */
    MAX(2),
    /** {@code ncclMin}. */
    MIN(3),
    /** {@code ncclAvg}: sum divided by the number of ranks (NCCL 2.10 and newer). */
    AVG(4);

    private static final NcclRedOp[] BY_CODE = values();

    private final int code;

    NcclRedOp(int code) {
        this.code = code;
    }

    /** The {@code ncclRedOp_t} value passed to NCCL. */
    public int code() {
        return code;
    }

    /**
     * The operation with the given {@code ncclRedOp_t} value.
     *
     * @throws IllegalArgumentException if the value is not a built-in operation (user-defined
     *     operations such as {@code ncclRedOpCreatePreMulSum} results are not modelled here)
     */
    public static NcclRedOp fromCode(int code) {
        if (code < 0 || code >= BY_CODE.length) {
            throw new IllegalArgumentException("unknown built-in ncclRedOp_t value " + code
                    + " (known: 0.." + (BY_CODE.length - 1) + ")");
        }
        return BY_CODE[code];
    }
}
