package dev.sluice.data.format;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdException;
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

    public long samples() {
        return index.samples();
    }

    /**
     * Copies field {@code f} of sample {@code i} to {@code dst} at absolute offset {@code dstOffset}
     * (exactly {@code sampleBytes}); {@code dst}'s position is not changed.
     */
    public void copy(int f, int i, ByteBuffer dst, int dstOffset) throws CorruptShardException {
        int start = (int) index.valueStart(f, i);
        int len = (int) (index.valueEnd(f, i) - start);
        if (!index.compressed(f)) {
            dst.put(dstOffset, data, start, len);
            return;
        }
        int want = (int) index.schema().field(f).sampleBytes();
        long got;
        try {
            if (dst.isDirect() && data.isDirect()) {
                got = Zstd.decompressDirectByteBuffer(dst, dstOffset, want, data, start, len);
            } else {
                byte[] src = new byte[len];
                data.get(start, src);
                byte[] out = Zstd.decompress(src, want);
                dst.put(dstOffset, out);
                got = out.length;
            }
        } catch (ZstdException | IllegalStateException e) {
            throw new CorruptShardException(index.where() + ": field '" + index.schema().field(f).name()
                    + "' of sample " + i + " does not decompress (" + e.getMessage() + "); re-run ingest", e);
        }
        if (got != want) {
            throw new CorruptShardException(index.where() + ": field '" + index.schema().field(f).name()
                    + "' of sample " + i + " decompresses to " + got + " bytes, expected " + want);
        }
    }

    /**
     * Copies field {@code f} of samples {@code first .. first+count-1} to {@code dst} at
     * {@code dstOffset}, back to back.
     */
    public void copyRun(int f, int first, int count, ByteBuffer dst, int dstOffset) throws CorruptShardException {
        if (!index.compressed(f)) {
            int start = (int) index.valueStart(f, first);
            int len = (int) (index.valueEnd(f, first + count - 1) - start);
            dst.put(dstOffset, data, start, len);
            return;
        }
        int step = (int) index.schema().field(f).sampleBytes();
        for (int k = 0; k < count; k++) {
            copy(f, first + k, dst, dstOffset + k * step);
        }
    }
}
