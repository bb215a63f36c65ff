package dev.sluice.data.format;

import java.nio.ByteBuffer;

/**
 * A whole shard in memory: copies sample values into batch buffers. Fixed-size uncompressed
 * values of consecutive samples are contiguous, so a run of them is one memcpy; compressed values
 * are decompressed straight into the destination.
 */
public final class ShardView {

    private final ShardIndex index;
    private final ByteBuffer data;

    /**
     * @param index parsed index of the shard
     * @param data the shard's bytes, shard offset 0 at position 0 (not copied; the caller owns it)
     */
    public ShardView(ShardIndex index, ByteBuffer data) throws CorruptShardException {
        if (data.limit() < index.shardBytes()) {
            throw new CorruptShardException(index.where() + ": holds " + data.limit() + " bytes but the header says "
                    + index.shardBytes() + "; the shard is truncated: re-run ingest");
        }
        this.index = index;
        this.data = data;
    }

    public ShardIndex index() {
        return index;
    }

    /**
     * The shard's bytes (not a copy), shard offset 0 at index 0: uncompressed values lie at
     * {@link ShardIndex#valueStart} .. {@link ShardIndex#valueEnd}. Read it with absolute gets only,
     * and only while the caller's owner of the buffer keeps it.
     */
    public ByteBuffer buffer() {
        return data;
    }

    public long samples() {
        return index.samples();
    }

    /**
     * Bytes of field {@code f}'s value of sample {@code i} once decompressed: {@code sampleBytes} for a
     * fixed field, the value's own length for a variable one.
     */
    public int valueBytes(int f, int i) throws CorruptShardException {
        FieldSpec spec = index.schema().field(f);
        if (!spec.variable()) {
            return (int) spec.sampleBytes();
        }
        int start = (int) index.valueStart(f, i);
        int len = (int) (index.valueEnd(f, i) - start);
        if (!index.compressed(f)) {
            return len;
        }
        return ZstdValues.contentSize(data, start, len, index.where(), spec, i);
    }

    /**
     * The stored bytes of field {@code f}'s value of sample {@code i}, without a copy (a read-only
     * view of the shard: the zstd frame for a compressed field). Valid while the shard's buffer is.
     */
    public ByteBuffer stored(int f, int i) {
        int start = (int) index.valueStart(f, i);
        int end = (int) index.valueEnd(f, i);
        return data.asReadOnlyBuffer().limit(end).position(start).slice();
    }

    /**
     * Copies field {@code f} of sample {@code i}, decompressed, to {@code dst} at absolute offset
     * {@code dstOffset}; {@code dst}'s position is not changed.
     *
     * @return the bytes copied: {@code sampleBytes} for a fixed field, {@link #valueBytes} for a variable one
     */
    public int copy(int f, int i, ByteBuffer dst, int dstOffset) throws CorruptShardException {
        int start = (int) index.valueStart(f, i);
        int len = (int) (index.valueEnd(f, i) - start);
        if (!index.compressed(f)) {
            dst.put(dstOffset, data, start, len);
            return len;
        }
        return ZstdValues.decompress(data, start, len, dst, dstOffset, valueBytes(f, i), index.where(),
                index.schema().field(f), i);
    }

    /**
     * Copies field {@code f} of samples {@code first .. first+count-1} of a fixed field to {@code dst}
     * at {@code dstOffset}, back to back.
     *
     * @throws IllegalStateException for a variable-length field
     */
    public void copyRun(int f, int first, int count, ByteBuffer dst, int dstOffset) throws CorruptShardException {
        int step = (int) index.schema().field(f).sampleBytes();
        if (!index.compressed(f)) {
            int start = (int) index.valueStart(f, first);
            int len = (int) (index.valueEnd(f, first + count - 1) - start);
            dst.put(dstOffset, data, start, len);
            return;
        }
        for (int k = 0; k < count; k++) {
            copy(f, first + k, dst, dstOffset + k * step);
        }
    }
}
