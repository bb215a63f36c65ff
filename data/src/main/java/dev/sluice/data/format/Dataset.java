package dev.sluice.data.format;

import dev.sluice.data.store.ObjectInfo;
import dev.sluice.data.store.ObjectNotFoundException;
import dev.sluice.data.store.ObjectStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32C;

/**
 * A dataset in a store: its manifest plus reads of shards and of single samples by index. Does not
 * own the store.
 */
public final class Dataset {

    private final ObjectStore store;
    private final Manifest manifest;
    private final Map<String, ShardIndex> indexes = new ConcurrentHashMap<>();

    private Dataset(ObjectStore store, Manifest manifest) {
        this.store = store;
        this.manifest = manifest;
    }

    /**
     * Reads and validates the manifest and checks that every shard it names exists with the
     * recorded size (one listing of the store).
     *
     * @throws ManifestException if there is no manifest (the message says how to create one)
     * @throws MissingShardException naming the first missing shard
     * @throws CorruptShardException naming the first shard whose size differs from the manifest's
     */
    public static Dataset open(ObjectStore store) throws IOException {
        Dataset ds = openManifest(store);
        for (FormatException problem : ds.checkShardSizes().values()) {
            throw problem;
        }
        return ds;
    }

    /**
     * Reads and validates the manifest only, leaving the shards to be checked one by one (as
     * {@link Verifier} does, to report every bad shard).
     *
     * @throws ManifestException if there is no manifest (the message says how to create one)
     */
    public static Dataset openManifest(ObjectStore store) throws IOException {
        byte[] json;
        try {
            json = store.readAll(Manifest.KEY);
        } catch (ObjectNotFoundException e) {
            throw new ManifestException(store.location() + ": no " + Manifest.KEY
                    + " here, so this is not a Sluice dataset (or its ingest did not finish); create one with"
                    + " 'train.jar ingest --from ... --to " + store.location() + "'", e);
        }
        return new Dataset(store, ManifestCodec.decode(json, where(store, Manifest.KEY)));
    }

    /**
     * Lists the store once and compares every shard the manifest names with what is there.
     *
     * @return shard key to a {@link MissingShardException} or {@link CorruptShardException} for each bad
     *     shard, in manifest order; empty if all are present with the recorded sizes
     */
    public Map<String, FormatException> checkShardSizes() throws IOException {
        Map<String, Long> sizes = new HashMap<>();
        for (ObjectInfo o : store.list("")) {
            sizes.put(o.key(), o.size());
        }
        Map<String, FormatException> problems = new LinkedHashMap<>();
        for (Split s : manifest.splits().values()) {
            for (ShardInfo sh : s.shards()) {
                Long size = sizes.get(sh.key());
                if (size == null) {
                    problems.put(sh.key(), new MissingShardException(where(sh) + ": shard of split '" + s.name()
                            + "' named by the manifest is missing; restore it or re-run ingest"));
                } else if (size != sh.bytes()) {
                    problems.put(sh.key(), new CorruptShardException(where(sh) + ": object has " + size
                            + " bytes but the manifest says " + sh.bytes()
                            + "; it is truncated or replaced: re-run ingest"));
                }
            }
        }
        return problems;
    }

    /** Wraps an already-read manifest without checking the store (for writers and tests). */
    public static Dataset of(ObjectStore store, Manifest manifest) {
        return new Dataset(store, manifest);
    }

    public ObjectStore store() {
        return store;
    }

    public Manifest manifest() {
        return manifest;
    }

    public Schema schema() {
        return manifest.schema();
    }

    /** Printable location of a key in a store. */
    public static String where(ObjectStore store, String key) {
        String loc = store.location();
        return loc.endsWith("/") ? loc + key : loc + "/" + key;
    }

    /** Printable location of a shard. */
    public String where(ShardInfo shard) {
        return where(store, shard.key());
    }

    /**
     * Reads the whole shard into {@code buf} (from position 0; needs {@code shard.bytes()} capacity),
     * optionally checks its CRC32C, and parses its index.
     */
    public ShardView load(ShardInfo shard, ByteBuffer buf, boolean verifyChecksum) throws IOException {
        buf.clear().limit(Math.toIntExact(shard.bytes()));
        store.read(shard.key(), 0, buf);
        buf.flip();
        return view(shard, buf, verifyChecksum);
    }

    /** Checks and parses a shard whose bytes are already in {@code buf} (position 0, limit = size). */
    public ShardView view(ShardInfo shard, ByteBuffer buf, boolean verifyChecksum) throws FormatException {
        if (buf.limit() != shard.bytes()) {
            throw new CorruptShardException(where(shard) + ": read " + buf.limit() + " bytes but the manifest says "
                    + shard.bytes());
        }
        // the index first: magic, version and header checks give more precise errors than the CRC
        ShardIndex idx = ShardIndex.parse(buf, manifest.schema(), shard, where(shard));
        if (verifyChecksum) {
            checkCrc(shard, buf);
        }
        return new ShardView(idx, buf);
    }

    /**
     * Like {@link #view(ShardInfo, ByteBuffer, boolean)} with the check on, for bytes whose CRC32C
     * was already computed as they arrived (see {@link Crc32cCombine}): the checksum is compared
     * without another pass over the shard.
     *
     * @param receivedCrc32c CRC32C of the {@code shard.bytes()} bytes now in {@code buf}
     */
    public ShardView view(ShardInfo shard, ByteBuffer buf, long receivedCrc32c) throws FormatException {
        ShardView view = view(shard, buf, false);
        checkCrc(shard, receivedCrc32c);
        return view;
    }

    /** Throws {@link ChecksumMismatchException} unless the bytes hash to the manifest's CRC32C. */
    public void checkCrc(ShardInfo shard, ByteBuffer buf) throws ChecksumMismatchException {
        CRC32C crc = new CRC32C();
        crc.update(buf.duplicate().position(0).limit(Math.toIntExact(shard.bytes())));
        checkCrc(shard, crc.getValue());
    }

    private void checkCrc(ShardInfo shard, long crc) throws ChecksumMismatchException {
        if (crc != shard.crc32c()) {
            throw new ChecksumMismatchException(String.format(
                    "%s: CRC32C is %08x but the manifest says %s; the shard is corrupt: restore it or re-run ingest",
                    where(shard), crc, shard.crc32cHex()));
        }
    }

    /** The parsed index of a shard, read with two small ranged reads the first time. */
    public ShardIndex index(ShardInfo shard) throws IOException {
        ShardIndex idx = indexes.get(shard.key());
        if (idx != null) {
            return idx;
        }
        ByteBuffer head = ByteBuffer.allocate(ShardIndex.headerBytes()).order(ByteOrder.LITTLE_ENDIAN);
        if (shard.bytes() < head.capacity()) {
            throw new CorruptShardException(where(shard) + ": shard of " + shard.bytes()
                    + " bytes is shorter than its 64-byte header");
        }
        store.read(shard.key(), 0, head);
        head.flip();
        long end = ShardIndex.indexEnd(head, where(shard));
        if (end > shard.bytes()) {
            throw new CorruptShardException(where(shard) + ": index ends at " + end + " beyond the shard's "
                    + shard.bytes() + " bytes");
        }
        ByteBuffer all = ByteBuffer.allocate((int) end);
        all.put(head);
        store.read(shard.key(), head.capacity(), all);
        all.flip();
        idx = ShardIndex.parse(all, manifest.schema(), shard, where(shard));
        indexes.put(shard.key(), idx);
        return idx;
    }

    /**
     * Random access: copies field {@code field} of sample {@code index} of a split, decompressed, into
     * {@code dst} at its position (advancing it by the value's size), with one ranged read.
     *
     * @throws java.nio.BufferOverflowException if {@code dst} has less room than the value
     */
    public void readSample(String split, long index, int field, ByteBuffer dst) throws IOException {
        dst.put(readValue(split, index, field));
    }

    /**
     * Random access: field {@code field} of sample {@code index} of a split, decompressed, as a new
     * buffer (position 0, limit = the value's size) read with one ranged read.
     */
    public ByteBuffer readValue(String split, long index, int field) throws IOException {
        Split s = manifest.split(split);
        long i = index;
        if (i < 0 || i >= s.samples()) {
            throw new IndexOutOfBoundsException("sample " + index + " of split '" + split + "' (it has "
                    + s.samples() + " samples)");
        }
        List<ShardInfo> shards = s.shards();
        int k = 0;
        while (i >= shards.get(k).samples()) {
            i -= shards.get(k).samples();
            k++;
        }
        ShardInfo sh = shards.get(k);
        ShardIndex idx = index(sh);
        FieldSpec spec = manifest.schema().field(field);
        long start = idx.valueStart(field, i);
        int len = (int) (idx.valueEnd(field, i) - start);
        ByteBuffer stored = ByteBuffer.allocate(len);
        store.read(sh.key(), start, stored);
        stored.flip();
        if (!idx.compressed(field)) {
            return stored;
        }
        int want = spec.variable() ? ZstdValues.contentSize(stored, 0, len, where(sh), spec, i) : (int) spec.sampleBytes();
        ByteBuffer out = ByteBuffer.allocate(want);
        ZstdValues.decompress(stored, 0, len, out, 0, want, where(sh), spec, i);
        return out;
    }
}
