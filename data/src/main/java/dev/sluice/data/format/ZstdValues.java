package dev.sluice.data.format;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdException;
import java.nio.ByteBuffer;

/** Decompression of one stored zstd value, with errors that name the shard, field and sample. */
final class ZstdValues {

    private ZstdValues() {}

    /**
     * The content size a variable-length value's frame records (format 1.1 requires it there).
     *
     * @throws CorruptShardException if the frame is damaged or does not record its size
     */
    static int contentSize(ByteBuffer data, int start, int len, String where, FieldSpec spec, long sample)
            throws CorruptShardException {
        byte[] head = new byte[Math.min(len, 18)]; // a zstd frame header is at most 18 bytes
        data.get(start, head);
        long size;
        try {
            size = Zstd.getFrameContentSize(head);
        } catch (ZstdException | IllegalStateException e) {
            size = -1;
        }
        if (size < 0 || size > Integer.MAX_VALUE - 8) {
            throw new CorruptShardException(where + ": field '" + spec.name() + "' of sample " + sample
                    + " is not a zstd frame that records its content size (" + size + "); re-run ingest");
        }
        return (int) size;
    }

    /**
     * Decompresses {@code [start, start+len)} of {@code data} into {@code dst} at {@code dstOffset},
     * which must be exactly {@code want} bytes.
     *
     * @return {@code want}
     */
    static int decompress(ByteBuffer data, int start, int len, ByteBuffer dst, int dstOffset, int want,
                          String where, FieldSpec spec, long sample) throws CorruptShardException {
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
            throw new CorruptShardException(where + ": field '" + spec.name() + "' of sample " + sample
                    + " does not decompress (" + e.getMessage() + "); re-run ingest", e);
        }
        if (got != want) {
            throw new CorruptShardException(where + ": field '" + spec.name() + "' of sample " + sample
                    + " decompresses to " + got + " bytes, expected " + want);
        }
        return want;
    }
}
