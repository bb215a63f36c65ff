package dev.sluice.data.format;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** The UTF-8 validity check that string values must pass when written and when verified. */
final class Utf8 {

    private Utf8() {}

    /**
     * @param value the bytes (position and limit untouched)
     * @param what names the value in the error, e.g. {@code "value of string field 'text'"}
     * @throws CorruptShardException if the bytes are not valid UTF-8
     */
    static void check(ByteBuffer value, String what) throws CorruptShardException {
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(value.duplicate());
        } catch (CharacterCodingException e) {
            throw new CorruptShardException(what + " is not valid UTF-8 (" + e + ")");
        }
    }
}
