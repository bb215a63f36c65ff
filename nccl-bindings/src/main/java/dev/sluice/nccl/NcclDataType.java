package dev.sluice.nccl;

/**
 * Element types of NCCL buffers ({@code ncclDataType_t}). The codes are the values of the enum in
 * {@code nccl.h}; tests check them against JavaCPP's generated constants (compile-time values only).
 */
public enum NcclDataType {
    /** {@code ncclInt8} (also {@code ncclChar}). */
    INT8(0, 1),
    /** {@code ncclUint8}. */
    UINT8(1, 1),
    /** {@code ncclInt32} (also {@code ncclInt}). */
    INT32(2, 4),
    /** {@code ncclUint32}. */
    UINT32(3, 4),
    /** {@code ncclInt64}. */
    INT64(4, 8),
    /** {@code ncclUint64}. */
    UINT64(5, 8),
    /** {@code ncclFloat16} (also {@code ncclHalf}). */
    FLOAT16(6, 2),
    /** {@code ncclFloat32} (also {@code ncclFloat}). */
    FLOAT32(7, 4),
    /** {@code ncclFloat64} (also {@code ncclDouble}). */
    FLOAT64(8, 8),
    /** {@code ncclBfloat16} (NCCL 2.10 and newer). */
    BFLOAT16(9, 2),
    /** {@code ncclFloat8e4m3} (NCCL 2.24 and newer, Hopper or newer GPUs). */
    FLOAT8_E4M3(10, 1),
    /** {@code ncclFloat8e5m2} (NCCL 2.24 and newer, Hopper or newer GPUs). */
    FLOAT8_E5M2(11, 1);

    private static final NcclDataType[] BY_CODE = values();

    private final int code;
    private final int byteSize;

    NcclDataType(int code, int byteSize) {
        this.code = code;
        this.byteSize = byteSize;
    }

    /** The {@code ncclDataType_t} value passed to NCCL. */
    public int code() {
        return code;
    }

    /** Size of one element in bytes. */
    public int byteSize() {
        return byteSize;
    }

    /**
     * The type with the given {@code ncclDataType_t} value.
     *
     * @throws IllegalArgumentException if NCCL defines no such type
     */
    public static NcclDataType fromCode(int code) {
        if (code < 0 || code >= BY_CODE.length) {
            throw new IllegalArgumentException("unknown ncclDataType_t value " + code
                    + " (known: 0.." + (BY_CODE.length - 1) + ")");
        }
        return BY_CODE[code];
    }
}
