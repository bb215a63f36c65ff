package dev.sluice.data.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The parsed header and index of one shard, validated against the manifest: where each field's
 * section starts and, for compressed fields, where each sample's value starts.
 */
public final class ShardIndex {

    private final String where;
    private final long samples;
    private final long shardBytes;
    private final Schema schema;
    private final long[] sectionOffset;
    private final long[] sectionBytes;
    private final long[][] valueOffsets;

    private ShardIndex(String where, long samples, long shardBytes, Schema schema, long[] sectionOffset,
                       long[] sectionBytes, long[][] valueOffsets) {
        this.where = where;
        this.samples = samples;
        this.shardBytes = shardBytes;
        this.schema = schema;
        this.sectionOffset = sectionOffset;
        this.sectionBytes = sectionBytes;
        this.valueOffsets = valueOffsets;
    }

    /** Bytes from the start of a shard that hold its header (read these first). */
    public static int headerBytes() {
        return ShardLayout.HEADER_BYTES;
    }

    /**
     * How many bytes from the start of the shard hold header plus index, given the first
     * {@link #headerBytes()} bytes.
     */
    public static long indexEnd(ByteBuffer header, String where) throws FormatException {
        ByteBuffer h = header.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        checkMagicAndVersion(h, where);
        long indexBytes = h.getLong(h.position() + ShardLayout.H_INDEX_BYTES);
        if (indexBytes < 0 || indexBytes > Integer.MAX_VALUE - ShardLayout.HEADER_BYTES) {
            throw new CorruptShardException(where + ": header says the index has " + indexBytes
                    + " bytes, which is impossible; the shard is damaged: re-run ingest");
        }
        return ShardLayout.HEADER_BYTES + indexBytes;
    }

    /**
     * Parses and validates header and index.
     *
     * @param buf bytes of the shard from offset 0 (position) covering at least {@link #indexEnd}
     * @param schema the dataset schema
     * @param info the manifest entry of this shard
     * @param where printable shard location for errors (e.g. {@code file:///d/train/x.shard})
     */
    public static ShardIndex parse(ByteBuffer buf, Schema schema, ShardInfo info, String where)
            throws FormatException {
        ByteBuffer b = buf.slice().order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < ShardLayout.HEADER_BYTES) {
            throw new CorruptShardException(where + ": only " + b.remaining()
                    + " bytes, shorter than the 64-byte header; the shard is truncated: re-run ingest");
        }
        long end = indexEnd(b, where);
        if (b.remaining() < end) {
            throw new CorruptShardException(where + ": only " + b.remaining() + " bytes but header and index need "
                    + end + "; the shard is truncated: re-run ingest");
        }
        CRC32C crc = new CRC32C();
        crc.update(b.duplicate().position(0).limit(ShardLayout.H_CRC));
        crc.update(b.duplicate().position(ShardLayout.HEADER_BYTES).limit((int) end));
        long stored = Integer.toUnsignedLong(b.getInt(ShardLayout.H_CRC));
        if (crc.getValue() != stored) {
            throw new ChecksumMismatchException(String.format(
                    "%s: header CRC32C is %08x but the header and index hash to %08x; the shard is corrupt:"
                            + " re-run ingest or restore it", where, stored, crc.getValue()));
        }
        int fieldCount = b.getInt(ShardLayout.H_FIELD_COUNT);
        long samples = b.getLong(ShardLayout.H_SAMPLE_COUNT);
        long dataOffset = b.getLong(ShardLayout.H_DATA_OFFSET);
        long shardBytes = b.getLong(ShardLayout.H_SHARD_BYTES);
        if (fieldCount != schema.size()) {
            throw new ShapeMismatchException(where + ": shard has " + fieldCount + " fields but the manifest schema has "
                    + schema.size() + " " + schema);
        }
        if (samples != info.samples()) {
            throw new ShapeMismatchException(where + ": shard holds " + samples + " samples but the manifest says "
                    + info.samples());
        }
        if (shardBytes != info.bytes()) {
            throw new CorruptShardException(where + ": header says the shard has " + shardBytes
                    + " bytes but the manifest says " + info.bytes() + "; re-run ingest");
        }
        long expectIndex = (long) fieldCount * ShardLayout.FIELD_ENTRY_BYTES;
        java.util.List<String> tabled = new java.util.ArrayList<>();
        try {
            for (FieldSpec spec : schema.fields()) {
                if (spec.hasOffsets()) {
                    tabled.add(spec.name());
                    expectIndex = Math.addExact(expectIndex, Math.multiplyExact(Math.addExact(samples, 1), 8));
                }
            }
        } catch (ArithmeticException e) {
            expectIndex = -1; // a sample count no index can hold: reported as damage below
        }
        if (end - ShardLayout.HEADER_BYTES != expectIndex) {
            throw new CorruptShardException(where + ": index has " + (end - ShardLayout.HEADER_BYTES) + " bytes but "
                    + fieldCount + " field entries and the offsets tables of fields " + tabled + " for " + samples
                    + " samples need " + (expectIndex < 0 ? "more than 2^63" : expectIndex)
                    + "; the shard is damaged: re-run ingest");
        }
        if (dataOffset != ShardLayout.align(end) || dataOffset > shardBytes) {
            throw new CorruptShardException(where + ": data offset " + dataOffset + " is not " + ShardLayout.align(end)
                    + " (the index end rounded up to 64) within the shard's " + shardBytes + " bytes");
        }
        long[] secOff = new long[fieldCount];
        long[] secLen = new long[fieldCount];
        long[][] valueOffsets = new long[fieldCount][];
        int pos = ShardLayout.HEADER_BYTES;
        int tables = ShardLayout.HEADER_BYTES + fieldCount * ShardLayout.FIELD_ENTRY_BYTES;
        long nextSection = dataOffset;
        for (int f = 0; f < fieldCount; f++) {
            FieldSpec spec = schema.field(f);
            String fw = where + ": field '" + spec.name() + "'";
            DType dt = DType.fromCode(b.get(pos + ShardLayout.F_DTYPE) & 0xff);
            Compression c = Compression.fromCode(b.get(pos + ShardLayout.F_COMPRESSION) & 0xff);
            int rank = b.getShort(pos + ShardLayout.F_RANK) & 0xffff;
            long sampleBytes = b.getLong(pos + ShardLayout.F_SAMPLE_BYTES);
            secOff[f] = b.getLong(pos + ShardLayout.F_SECTION_OFFSET);
            secLen[f] = b.getLong(pos + ShardLayout.F_SECTION_BYTES);
            if (dt == null || c == null) {
                throw new CorruptShardException(fw + " has unknown dtype code " + (b.get(pos) & 0xff)
                        + " or compression code " + (b.get(pos + 1) & 0xff));
            }
            long declared = spec.variable() ? 0 : spec.sampleBytes();
            if (dt != spec.dtype() || c != spec.compression() || rank != spec.shape().length
                    || sampleBytes != declared) {
                throw new ShapeMismatchException(fw + " is stored as " + dt.jsonName() + " rank " + rank + ", "
                        + sampleBytes + " bytes/sample, " + c.jsonName() + " but the manifest declares " + spec
                        + " (" + declared + " bytes/sample); the manifest does not belong to this shard");
            }
            // sections lie in field order, each at the previous one's end rounded up to 64, and the last one
            // ends the shard: any other layout is damage (secLen > shardBytes - secOff avoids an overflow)
            if (secOff[f] != nextSection || secLen[f] < 0 || secLen[f] > shardBytes - secOff[f]) {
                throw new CorruptShardException(fw + " section [" + secOff[f] + ", " + (secOff[f] + secLen[f])
                        + ") lies outside the data area [" + dataOffset + ", " + shardBytes + ") or out of place: it"
                        + " must start at " + nextSection + ", the previous section's end rounded up to 64");
            }
            nextSection = f + 1 < fieldCount ? ShardLayout.align(secOff[f] + secLen[f]) : secOff[f] + secLen[f];
            if (!spec.hasOffsets()) {
                if (secLen[f] != samples * sampleBytes) {
                    throw new ShapeMismatchException(fw + " section has " + secLen[f] + " bytes but " + samples
                            + " samples of shape " + Arrays.toString(spec.shape()) + " need " + samples * sampleBytes);
                }
            } else {
                // the index size was checked above, so the table lies inside the bytes already read
                long[] offs = new long[(int) (samples + 1)];
                long prev = 0;
                int unit = spec.compression() == Compression.NONE ? spec.dtype().bytes() : 1;
                for (int i = 0; i < offs.length; i++) {
                    offs[i] = b.getLong(tables + i * 8);
                    if (offs[i] < prev || (i == 0 && offs[i] != 0)) {
                        throw new CorruptShardException(fw + ": value offsets decrease at sample " + i
                                + " (they must start at 0 and never decrease)");
                    }
                    if ((offs[i] - prev) % unit != 0) {
                        throw new CorruptShardException(fw + ": value of sample " + (i - 1) + " has " + (offs[i] - prev)
                                + " bytes, not a whole number of " + spec.dtype().jsonName() + " elements");
                    }
                    prev = offs[i];
                }
                if (offs[offs.length - 1] != secLen[f]) {
                    throw new CorruptShardException(fw + ": last value ends at " + offs[offs.length - 1]
                            + " but the section has " + secLen[f] + " bytes");
                }
                valueOffsets[f] = offs;
                tables += offs.length * 8;
            }
            pos += ShardLayout.FIELD_ENTRY_BYTES;
        }
        if (nextSection != shardBytes) {
            throw new CorruptShardException(where + ": the last section ends at " + nextSection + " but the shard has "
                    + shardBytes + " bytes; bytes after the last section are not allowed");
        }
        return new ShardIndex(where, samples, shardBytes, schema, secOff, secLen, valueOffsets);
    }

    private static void checkMagicAndVersion(ByteBuffer h, String where) throws FormatException {
        if (h.remaining() < ShardLayout.HEADER_BYTES) {
            throw new CorruptShardException(where + ": only " + h.remaining()
                    + " bytes, shorter than the 64-byte header; the shard is truncated: re-run ingest");
        }
        byte[] magic = new byte[8];
        h.duplicate().get(magic);
        if (!Arrays.equals(magic, ShardLayout.MAGIC)) {
            throw new CorruptShardException(where + ": does not start with the shard magic 'SLUICESH'; it is not a"
                    + " Sluice shard or it is damaged");
        }
        int major = h.getShort(h.position() + ShardLayout.H_MAJOR) & 0xffff;
        int minor = h.getShort(h.position() + ShardLayout.H_MINOR) & 0xffff;
        if (major != Manifest.MAJOR) {
            throw new UnsupportedVersionException(where + ": shard format version " + major + "." + minor
                    + " is not supported by this reader (it reads major version " + Manifest.MAJOR + ")");
        }
    }

    /** Printable location of the shard. */
    public String where() {
        return where;
    }

    public long samples() {
        return samples;
    }

    public long shardBytes() {
        return shardBytes;
    }

    public Schema schema() {
        return schema;
    }

    /**
     * Absolute byte range {@code [start, end)} in the shard of field {@code f}'s stored value of sample
     * {@code i} (the zstd frame for a compressed field).
     */
    public long valueStart(int f, long i) {
        long[] offs = valueOffsets[f];
        return offs == null ? sectionOffset[f] + i * schema.field(f).sampleBytes() : sectionOffset[f] + offs[(int) i];
    }

    /** End of the byte range of {@link #valueStart}. */
    public long valueEnd(int f, long i) {
        long[] offs = valueOffsets[f];
        return offs == null ? sectionOffset[f] + (i + 1) * schema.field(f).sampleBytes()
                : sectionOffset[f] + offs[(int) i + 1];
    }

    /** Whether field {@code f}'s values are zstd frames that must be decompressed. */
    public boolean compressed(int f) {
        return schema.field(f).compression() != Compression.NONE;
    }

    /** Whether field {@code f} has per-sample offsets (variable-length or compressed values). */
    public boolean hasOffsets(int f) {
        return valueOffsets[f] != null;
    }
}
