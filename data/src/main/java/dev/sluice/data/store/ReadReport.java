package dev.sluice.data.store;

/**
 * What one completed ranged read took.
 *
 * @param attempts store attempts made (1 unless retried)
 * @param hedged whether a second request was sent because the read was slow (see {@link HedgePolicy})
 * @param crc32c CRC-32C of the bytes read, computed as they arrived, when the read was asked for it
 *     and the store computes it; {@link #NO_CRC} otherwise
 */
public record ReadReport(int attempts, boolean hedged, long crc32c) {

    /** {@link #crc32c()} of a read whose bytes were not checksummed. */
    public static final long NO_CRC = -1;

    /** One attempt, no hedge, no checksum: what a store without retries reports. */
    public static final ReadReport ONE = new ReadReport(1, false, NO_CRC);

    /** A report without a checksum. */
    public ReadReport(int attempts, boolean hedged) {
        this(attempts, hedged, NO_CRC);
    }

    /** Whether {@link #crc32c()} holds the checksum of the bytes read. */
    public boolean hasCrc32c() {
        return crc32c >= 0;
    }
}
