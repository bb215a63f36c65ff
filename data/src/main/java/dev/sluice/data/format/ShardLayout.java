package dev.sluice.data.format;

/** Byte positions of the shard header and field table (docs/FORMAT.md, "Shard layout"). */
final class ShardLayout {

    static final byte[] MAGIC = {'S', 'L', 'U', 'I', 'C', 'E', 'S', 'H'};
    static final int HEADER_BYTES = 64;
    static final int FIELD_ENTRY_BYTES = 32;
    static final int ALIGN = 64;

    // header offsets
    static final int H_MAJOR = 8;
    static final int H_MINOR = 10;
    static final int H_FIELD_COUNT = 12;
    static final int H_SAMPLE_COUNT = 16;
    static final int H_INDEX_BYTES = 24;
    static final int H_DATA_OFFSET = 32;
    static final int H_SHARD_BYTES = 40;
    static final int H_FLAGS = 48;
    static final int H_CRC = 52;

    // field entry offsets
    static final int F_DTYPE = 0;
    static final int F_COMPRESSION = 1;
    static final int F_RANK = 2;
    static final int F_SAMPLE_BYTES = 8;
    static final int F_SECTION_OFFSET = 16;
    static final int F_SECTION_BYTES = 24;

    private ShardLayout() {}

    static long align(long v) {
        return (v + ALIGN - 1) & -(long) ALIGN;
    }
}
