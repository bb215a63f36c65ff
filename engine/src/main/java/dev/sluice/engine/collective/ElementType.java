package dev.sluice.engine.collective;

/**
 * Element type of the values a collective reduces. Elements are stored in the platform's native
 * byte order (what CUDA device memory and NCCL use too), whatever order the Java buffer object says.
 */
public enum ElementType {
    /** IEEE 754 binary32: gradients and parameters. */
    FLOAT32(4),
    /** IEEE 754 binary64. */
    FLOAT64(8),
    /** Two's complement 32-bit integer; sums wrap around on overflow. */
    INT32(4),
    /** Two's complement 64-bit integer; sums wrap around on overflow. */
    INT64(8),
    /** Unsigned 8-bit integer; sums wrap modulo 256, MAX/MIN compare unsigned. */
    UINT8(1);

    private final int bytes;

    ElementType(int bytes) {
        this.bytes = bytes;
    }

    /** Size of one element in bytes. */
    public int bytes() {
        return bytes;
    }
}
