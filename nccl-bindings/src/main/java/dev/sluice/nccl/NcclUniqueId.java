package dev.sluice.nccl;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Base64;

/**
 * NCCL's unique id ({@code ncclUniqueId}): 128 opaque bytes created by one rank with
 * {@link NcclRuntime#newUniqueId()} and sent to every other rank (e.g. over the TCP rendezvous) before
 * they all call {@link NcclRuntime#initRank}. Immutable; a pure value with no native state, so it can
 * be created from bytes on a machine without NCCL.
 *
 * <p>The bytes hold the address of the root's bootstrap socket, so an id is only meaningful while
 * that process runs; it is not a secret, but anyone who can reach that address and holds the id can
 * join the rendezvous.
 */
public final class NcclUniqueId {
    /** Size of an id in bytes ({@code NCCL_UNIQUE_ID_BYTES}). */
    public static final int BYTES = 128;

    private final byte[] bytes;

    private NcclUniqueId(byte[] bytes) {
        this.bytes = bytes;
    }

    /**
     * The id made of these exact bytes (copied).
     *
     * @throws IllegalArgumentException if {@code bytes} is not exactly {@value #BYTES} bytes long
     */
    public static NcclUniqueId fromBytes(byte[] bytes) {
        if (bytes == null) {
            throw new IllegalArgumentException("NCCL unique id bytes are null; expected " + BYTES + " bytes");
        }
        if (bytes.length != BYTES) {
            throw new IllegalArgumentException("NCCL unique id must be exactly " + BYTES + " bytes, got "
                    + bytes.length + " (truncated or corrupted rendezvous message?)");
        }
        return new NcclUniqueId(bytes.clone());
    }

    /**
     * Reads an id from the next {@value #BYTES} bytes of {@code buffer}, advancing its position.
     *
     * @throws IllegalArgumentException if fewer than {@value #BYTES} bytes remain
     */
    public static NcclUniqueId readFrom(ByteBuffer buffer) {
        if (buffer.remaining() < BYTES) {
            throw new IllegalArgumentException("NCCL unique id needs " + BYTES + " bytes, only "
                    + buffer.remaining() + " remain in the buffer");
        }
        byte[] b = new byte[BYTES];
        buffer.get(b);
        return new NcclUniqueId(b);
    }

    /**
     * Parses the (standard, padded) Base64 form written by {@link #toBase64()}.
     *
     * @throws IllegalArgumentException if the text is not Base64 or does not decode to {@value #BYTES} bytes
     */
    public static NcclUniqueId fromBase64(String base64) {
        if (base64 == null) {
            throw new IllegalArgumentException("NCCL unique id text is null");
        }
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(base64.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("NCCL unique id is not valid Base64: " + e.getMessage(), e);
        }
        return fromBytes(decoded);
    }

    /** A copy of the {@value #BYTES} bytes. */
    public byte[] toBytes() {
        return bytes.clone();
    }

    /** Writes the {@value #BYTES} bytes at the buffer's position, advancing it. */
    public void writeTo(ByteBuffer buffer) {
        buffer.put(bytes);
    }

    /** The bytes as standard Base64 (172 characters), e.g. for an environment variable or a text protocol. */
    public String toBase64() {
        return Base64.getEncoder().encodeToString(bytes);
    }

    /** The backing array, for copying into the native struct without a clone; never modify it. */
    byte[] internalBytes() {
        return bytes;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NcclUniqueId other && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    /** A short fingerprint for logs (not the full id). */
    @Override
    public String toString() {
        return "NcclUniqueId[" + String.format("%08x", hashCode()) + "]";
    }
}
