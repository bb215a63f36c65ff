package dev.sluice.data.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/** {@link Crc32cCombine} against the JDK's CRC32C over the whole concatenation. */
class Crc32cCombineTest {

    private static long crc(byte[] b, int from, int to) {
        CRC32C c = new CRC32C();
        c.update(b, from, to - from);
        return c.getValue();
    }

    @Test
    void theKnownCheckValueFromTwoHalves() {
        // CRC-32C of "123456789" is 0xE3069283 (the published check value of the Castagnoli CRC)
        byte[] digits = "123456789".getBytes(StandardCharsets.US_ASCII);
        for (int cut = 0; cut <= digits.length; cut++) {
            assertEquals(0xE3069283L, Crc32cCombine.combine(crc(digits, 0, cut), crc(digits, cut, digits.length),
                    digits.length - cut), "cut at " + cut);
        }
    }

    @Test
    void joiningPartsInOrderGivesTheCrcOfTheWhole() {
        SplittableRandom r = new SplittableRandom(11);
        byte[] data = new byte[3 * (1 << 20) + 777];
        r.nextBytes(data);
        long whole = crc(data, 0, data.length);
        for (int part : new int[] {1, 3, 4096, 65_536, 1 << 20, 1_000_003}) {
            long joined = 0;
            for (int off = 0; off < data.length; off += part) {
                int end = Math.min(data.length, off + part);
                long c = crc(data, off, end);
                joined = off == 0 ? c : Crc32cCombine.combine(joined, c, end - off);
            }
            assertEquals(whole, joined, "parts of " + part + " bytes");
        }
    }

    @Test
    void anEmptySecondPieceLeavesTheFirstAndLengthsMustNotBeNegative() {
        assertEquals(0x12345678L, Crc32cCombine.combine(0x12345678L, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> Crc32cCombine.combine(1, 2, -1));
    }
}
