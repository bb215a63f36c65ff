package dev.sluice.spark;

import java.io.Serializable;

/**
 * Names the encoding of a binary value from its bytes ({@code jpeg}, {@code png}, ...), for a column whose
 * encoding is learnt from the data rather than declared. Runs in tasks, on every value.
 */
@FunctionalInterface
public interface EncodingDetector extends Serializable {

    /** The value's encoding, or null if it is not recognised. */
    String encodingOf(byte[] value);
}
