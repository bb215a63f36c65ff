package dev.sluice.nccl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The unique id survives every wire form byte for byte and rejects anything that is not 128 bytes. */
class NcclUniqueIdTest {

    private static byte[] randomId(long seed) {
        byte[] b = new byte[NcclUniqueId.BYTES];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void bytesRoundTripIsExactAndDefensive() {
        byte[] original = randomId(1);
        NcclUniqueId id = NcclUniqueId.fromBytes(original);
        assertArrayEquals(original, id.toBytes());

        original[0] ^= 0x55; // mutating the caller's array must not change the id
        assertNotEquals(original[0], id.toBytes()[0]);
        byte[] out = id.toBytes();
        out[1] ^= 0x55; // nor mutating the returned copy
        assertNotEquals(out[1], id.toBytes()[1]);
    }

    @Test
    void base64RoundTrip() {
        byte[] original = randomId(2);
        NcclUniqueId id = NcclUniqueId.fromBytes(original);
        String text = id.toBase64();
        assertEquals(172, text.length());
        assertEquals(Base64.getEncoder().encodeToString(original), text);
        NcclUniqueId back = NcclUniqueId.fromBase64(text);
        assertArrayEquals(original, back.toBytes());
        assertEquals(id, back);
        assertEquals(id.hashCode(), back.hashCode());
        // Surrounding whitespace (e.g. a trailing newline from a text protocol) is tolerated.
        assertEquals(id, NcclUniqueId.fromBase64(" " + text + "\n"));
    }

    @Test
    void byteBufferRoundTripAdvancesPositions() {
        NcclUniqueId a = NcclUniqueId.fromBytes(randomId(3));
        NcclUniqueId b = NcclUniqueId.fromBytes(randomId(4));
        ByteBuffer buffer = ByteBuffer.allocate(4 + 2 * NcclUniqueId.BYTES);
        buffer.putInt(7);
        a.writeTo(buffer);
        b.writeTo(buffer);
        assertEquals(buffer.capacity(), buffer.position());
        buffer.flip();
        assertEquals(7, buffer.getInt());
        assertEquals(a, NcclUniqueId.readFrom(buffer));
        assertEquals(b, NcclUniqueId.readFrom(buffer));
        assertFalse(buffer.hasRemaining());
    }

    @Test
    void differentBytesAreDifferentIds() {
        assertNotEquals(NcclUniqueId.fromBytes(randomId(5)), NcclUniqueId.fromBytes(randomId(6)));
    }

    @Test
    void wrongLengthsAreRejected() {
        for (int length : new int[] {0, 1, 127, 129, 256}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> NcclUniqueId.fromBytes(new byte[length]));
            assertTrue(e.getMessage().contains("exactly 128 bytes, got " + length), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> NcclUniqueId.fromBytes(null));

        String shortText = Base64.getEncoder().encodeToString(new byte[127]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NcclUniqueId.fromBase64(shortText));
        assertTrue(e.getMessage().contains("got 127"), e.getMessage());
        IllegalArgumentException notBase64 = assertThrows(IllegalArgumentException.class,
                () -> NcclUniqueId.fromBase64("not base64 at all!"));
        assertTrue(notBase64.getMessage().startsWith("NCCL unique id is not valid Base64"), notBase64.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NcclUniqueId.fromBase64(null));

        ByteBuffer tooShort = ByteBuffer.allocate(100);
        IllegalArgumentException underflow = assertThrows(IllegalArgumentException.class,
                () -> NcclUniqueId.readFrom(tooShort));
        assertEquals("NCCL unique id needs 128 bytes, only 100 remain in the buffer", underflow.getMessage());
        assertEquals(0, tooShort.position(), "a rejected read consumes nothing");
    }

    @Test
    void toStringIsAFingerprintNotTheId() {
        NcclUniqueId id = NcclUniqueId.fromBytes(randomId(7));
        assertTrue(id.toString().matches("NcclUniqueId\\[[0-9a-f]{8}]"), id.toString());
        assertFalse(id.toString().contains(id.toBase64().substring(0, 16)));
    }
}
