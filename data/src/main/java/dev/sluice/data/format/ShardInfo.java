package dev.sluice.data.format;

/**
 * A shard as the manifest lists it.
 *
 * @param key object key relative to the dataset root, e.g. {@code train/train-3f2a9c01-00000.shard}
 * @param samples number of samples in the shard
 * @param bytes size of the shard object in bytes
 * @param crc32c CRC32C (Castagnoli) of the whole shard object, as an unsigned 32-bit value
 */
public record ShardInfo(String key, long samples, long bytes, long crc32c) {

    /** The checksum as 8 lower-case hex digits, as written in the manifest. */
    public String crc32cHex() {
        return String.format("%08x", crc32c);
    }
}
