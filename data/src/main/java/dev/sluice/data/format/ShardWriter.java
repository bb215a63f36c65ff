package dev.sluice.data.format;

import com.github.luben.zstd.Zstd;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Accumulates samples of one shard in memory and writes the shard file (header, index, one
 * 64-byte-aligned section per field). Values are copied as given; compressed fields are compressed
 * per sample with zstd (single-shot frames, which record their content size). Variable-length and
 * compressed fields get an offsets table. Reusable after {@link #reset()}.
 */
public final class ShardWriter {

    private static final int ZSTD_LEVEL = 3;

    private final Schema schema;
    private final Section[] sections;
    private long samples;

    public ShardWriter(Schema schema) {
        this.schema = schema;
        this.sections = new Section[schema.size()];
        for (int i = 0; i < sections.length; i++) {
            sections[i] = new Section();
        }
    }

    /**
     * Appends one sample. {@code values[f]} holds field {@code f}'s value in little-endian element
     * order: exactly {@code sampleBytes} remaining for a fixed field; any length for a variable one
     * (a whole number of elements for a sequence, valid UTF-8 for a string). Positions are not changed.
     *
     * @throws ShapeMismatchException if a value's size disagrees with the schema
     * @throws FormatException if a string value is not valid UTF-8
     */
    public void add(ByteBuffer... values) throws FormatException {
        if (values.length != schema.size()) {
            throw new ShapeMismatchException("sample has " + values.length + " values but the schema has "
                    + schema.size() + " fields " + schema);
        }
        for (int f = 0; f < values.length; f++) {
            FieldSpec spec = schema.field(f);
            int n = values[f].remaining();
            if (!spec.variable()) {
                if (n != spec.sampleBytes()) {
                    throw new ShapeMismatchException("value of field '" + spec.name() + "' has " + n
                            + " bytes but shape " + Arrays.toString(spec.shape()) + " of "
                            + spec.dtype().jsonName() + " needs " + spec.sampleBytes());
                }
            } else if (n % spec.dtype().bytes() != 0) {
                throw new ShapeMismatchException("value of sequence field '" + spec.name() + "' has " + n
                        + " bytes, not a whole number of " + spec.dtype().jsonName() + " elements");
            } else if (spec.dtype() == DType.STRING) {
                Utf8.check(values[f], "value of string field '" + spec.name() + "'");
            }
        }
        for (int f = 0; f < values.length; f++) {
            FieldSpec spec = schema.field(f);
            ByteBuffer v = values[f].duplicate();
            if (spec.compression() == Compression.ZSTD) {
                byte[] raw = new byte[v.remaining()];
                v.get(raw);
                sections[f].append(Zstd.compress(raw, ZSTD_LEVEL));
            } else {
                sections[f].append(v);
            }
            sections[f].mark();
        }
        samples++;
    }

    /** Samples added since the last reset. */
    public long samples() {
        return samples;
    }

    /** Size the shard file would have now. */
    public long bytes() {
        return layout()[schema.size()];
    }

    /** Forgets all samples. */
    public void reset() {
        for (Section s : sections) {
            s.clear();
        }
        samples = 0;
    }

    /**
     * Writes the shard to {@code file} (created or truncated), without an fsync: the store's
     * {@code publish} makes it durable where that matters (a file store fsyncs it before its rename;
     * an upload to S3 needs no durable local copy), so a shard is forced to disk once, not twice.
     *
     * @param key the key the shard will have in the dataset
     * @return the manifest entry for the shard
     */
    public ShardInfo writeTo(Path file, String key) throws IOException {
        int nf = schema.size();
        long[] offsets = layout();
        long indexBytes = indexBytes();
        ByteBuffer head = ByteBuffer.allocate(Math.toIntExact(ShardLayout.HEADER_BYTES + indexBytes))
                .order(ByteOrder.LITTLE_ENDIAN);
        head.put(ShardLayout.MAGIC);
        head.putShort(ShardLayout.H_MAJOR, (short) Manifest.MAJOR);
        head.putShort(ShardLayout.H_MINOR, (short) Manifest.minorFor(schema));
        head.putInt(ShardLayout.H_FIELD_COUNT, nf);
        head.putLong(ShardLayout.H_SAMPLE_COUNT, samples);
        head.putLong(ShardLayout.H_INDEX_BYTES, indexBytes);
        head.putLong(ShardLayout.H_DATA_OFFSET, offsets[0]);
        head.putLong(ShardLayout.H_SHARD_BYTES, offsets[nf]);
        head.putInt(ShardLayout.H_FLAGS, 0);
        int pos = ShardLayout.HEADER_BYTES;
        for (int f = 0; f < nf; f++) {
            FieldSpec spec = schema.field(f);
            head.put(pos + ShardLayout.F_DTYPE, (byte) spec.dtype().code());
            head.put(pos + ShardLayout.F_COMPRESSION, (byte) spec.compression().code());
            head.putShort(pos + ShardLayout.F_RANK, (short) spec.shape().length);
            head.putLong(pos + ShardLayout.F_SAMPLE_BYTES, spec.variable() ? 0 : spec.sampleBytes());
            head.putLong(pos + ShardLayout.F_SECTION_OFFSET, offsets[f]);
            head.putLong(pos + ShardLayout.F_SECTION_BYTES, sections[f].size);
            pos += ShardLayout.FIELD_ENTRY_BYTES;
        }
        for (int f = 0; f < nf; f++) {
            if (schema.field(f).hasOffsets()) {
                long[] ends = sections[f].ends;
                head.putLong(pos, 0);
                pos += 8;
                for (int i = 0; i < samples; i++) {
                    head.putLong(pos, ends[i]);
                    pos += 8;
                }
            }
        }
        CRC32C headerCrc = new CRC32C();
        headerCrc.update(head.array(), 0, ShardLayout.H_CRC);
        headerCrc.update(head.array(), ShardLayout.HEADER_BYTES, head.capacity() - ShardLayout.HEADER_BYTES);
        head.putInt(ShardLayout.H_CRC, (int) headerCrc.getValue());

        CRC32C crc = new CRC32C();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            head.clear();
            crc.update(head.duplicate());
            writeFully(ch, head);
            long at = head.capacity();
            for (int f = 0; f < nf; f++) {
                at = pad(ch, crc, at, offsets[f]);
                at += sections[f].writeTo(ch, crc);
            }
            if (at != offsets[nf]) {
                throw new IllegalStateException("shard layout error: wrote " + at + " bytes, planned " + offsets[nf]);
            }
        }
        return new ShardInfo(key, samples, offsets[nf], crc.getValue());
    }

    private long indexBytes() {
        long b = (long) schema.size() * ShardLayout.FIELD_ENTRY_BYTES;
        for (FieldSpec f : schema.fields()) {
            if (f.hasOffsets()) {
                b += (samples + 1) * 8;
            }
        }
        return b;
    }

    /** Section offsets of each field, then the shard size. */
    private long[] layout() {
        long[] out = new long[schema.size() + 1];
        long at = ShardLayout.align(ShardLayout.HEADER_BYTES + indexBytes());
        for (int f = 0; f < schema.size(); f++) {
            out[f] = at;
            at = f + 1 < schema.size() ? ShardLayout.align(at + sections[f].size) : at + sections[f].size;
        }
        out[schema.size()] = at;
        return out;
    }

    private static final byte[] ZEROS = new byte[ShardLayout.ALIGN];

    private static long pad(FileChannel ch, CRC32C crc, long at, long to) throws IOException {
        int n = Math.toIntExact(to - at);
        if (n > 0) {
            crc.update(ZEROS, 0, n);
            writeFully(ch, ByteBuffer.wrap(ZEROS, 0, n));
        }
        return to;
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /**
     * Growable byte section plus the end offset of every sample's value. The bytes live in a list of
     * chunks that is appended to, never copied into a larger array: growing by doubling copied (and
     * zeroed) about twice a shard's bytes in every new writer. Chunks are kept across {@link #clear}
     * so a reused writer allocates nothing.
     */
    private static final class Section {
        private static final int FIRST_CHUNK = 1 << 16;
        private static final int MAX_CHUNK = 4 << 20;

        final List<byte[]> chunks = new ArrayList<>();
        /** Index of the chunk being filled and the bytes used in it. */
        int chunk;
        int used;
        long size;
        long[] ends = new long[1024];
        int count;

        void append(ByteBuffer v) {
            int n = v.remaining();
            ensure(n);
            while (n > 0) {
                byte[] c = room();
                int k = Math.min(n, c.length - used);
                v.get(c, used, k);
                used += k;
                size += k;
                n -= k;
            }
        }

        void append(byte[] v) {
            append(ByteBuffer.wrap(v));
        }

        /** The current chunk with room in it, moving to the next (allocated if new) when it is full. */
        private byte[] room() {
            if (chunks.isEmpty()) {
                chunks.add(new byte[FIRST_CHUNK]);
            }
            byte[] c = chunks.get(chunk);
            if (used == c.length) {
                chunk++;
                used = 0;
                if (chunk == chunks.size()) {
                    chunks.add(new byte[(int) Math.min(MAX_CHUNK, (long) c.length * 2)]);
                }
                c = chunks.get(chunk);
            }
            return c;
        }

        void mark() {
            if (count == ends.length) {
                ends = Arrays.copyOf(ends, count * 2);
            }
            ends[count++] = size;
        }

        void clear() {
            chunk = 0;
            used = 0;
            size = 0;
            count = 0;
        }

        /** Writes the section's bytes, updating {@code crc}; returns the bytes written. */
        long writeTo(FileChannel ch, CRC32C crc) throws IOException {
            long n = 0;
            for (int i = 0; i <= chunk && i < chunks.size(); i++) {
                ByteBuffer b = ByteBuffer.wrap(chunks.get(i), 0, i < chunk ? chunks.get(i).length : used);
                crc.update(b.duplicate());
                n += b.remaining();
                writeFully(ch, b);
            }
            return n;
        }

        private void ensure(int n) {
            if (size + n > Integer.MAX_VALUE - 64) {
                throw new IllegalStateException("a shard section exceeds 2 GiB; use a smaller shard size");
            }
        }
    }
}
