package dev.sluice.data.format;

/**
 * CRC-32C of a concatenation from the CRCs of its pieces, without the bytes: the loader checksums
 * each ranged read as it arrives (in whatever order the reads complete) and joins the results into
 * the shard's CRC, instead of reading the whole shard again.
 *
 * <p>The CRC register is linear over GF(2): appending {@code n} zero bytes to a message multiplies
 * its register by a fixed 32x32 bit matrix raised to {@code 8n}, and the CRC of {@code A || B} is
 * "A's CRC advanced over |B| zeros" xor "B's CRC". The matrix power is taken by repeated squaring,
 * so a combine costs O(log n) matrix products, independent of the data size.
 */
public final class Crc32cCombine {

    /** CRC-32C (Castagnoli) polynomial, reflected. */
    private static final int POLY = 0x82F63B78;

    private Crc32cCombine() {
    }

    /**
     * The CRC-32C of {@code A || B}.
     *
     * @param crcA CRC-32C of the first piece (as {@link java.util.zip.CRC32C#getValue()} gives it)
     * @param crcB CRC-32C of the second piece
     * @param lengthB bytes in the second piece, at least 0
     */
    public static long combine(long crcA, long crcB, long lengthB) {
        if (lengthB < 0) {
            throw new IllegalArgumentException("negative length " + lengthB);
        }
        if (lengthB == 0) {
            return crcA;
        }
        // operator for one zero bit: shift right, and fold in the polynomial if the low bit was set
        int[] odd = new int[32];
        odd[0] = POLY;
        for (int i = 1; i < 32; i++) {
            odd[i] = 1 << (i - 1);
        }
        int[] even = new int[32];
        square(even, odd); // two zero bits
        square(odd, even); // four zero bits
        int a = (int) crcA;
        long n = lengthB;
        // each round squares the operator once more (8, 16, 32 ... zero bits, i.e. 1, 2, 4 ... bytes)
        // and applies it where the byte count has a one bit
        do {
            square(even, odd);
            if ((n & 1) != 0) {
                a = times(even, a);
            }
            n >>>= 1;
            if (n == 0) {
                break;
            }
            square(odd, even);
            if ((n & 1) != 0) {
                a = times(odd, a);
            }
            n >>>= 1;
        } while (n != 0);
        return (a ^ (int) crcB) & 0xFFFFFFFFL;
    }

    /** The matrix (32 columns) applied to a vector. */
    private static int times(int[] matrix, int vector) {
        int sum = 0;
        for (int i = 0; vector != 0; i++, vector >>>= 1) {
            if ((vector & 1) != 0) {
                sum ^= matrix[i];
            }
        }
        return sum;
    }

    /** {@code out = m * m}. */
    private static void square(int[] out, int[] m) {
        for (int i = 0; i < 32; i++) {
            out[i] = times(m, m[i]);
        }
    }
}
