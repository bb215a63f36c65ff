package dev.sluice.data.ingest;

import dev.sluice.data.format.DType;
import dev.sluice.data.format.Dataset;
import dev.sluice.data.format.FieldSpec;
import dev.sluice.data.format.Schema;
import dev.sluice.data.store.ObjectStore;
import dev.sluice.data.store.StoreException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Imports WebDataset tar shards: the members of each tar, in archive order, are grouped into samples
 * by key (the member path up to the first dot of its base name; members of a sample are adjacent),
 * and each extension (the rest of the base name) becomes a field: {@code __key__} (string) first,
 * then the extensions in name order. {@code cls} is an int64 label written as decimal text;
 * {@code txt} and {@code json} are strings; image extensions ({@code jpg}, {@code png}, ...) are bytes
 * with that encoding; any other extension is opaque bytes. The fields come from the first sample;
 * every sample must have the same extensions. Tars are read with Apache Commons Compress.
 */
public final class WebDatasetImporter implements Importer {

    /** Field holding each sample's key. */
    public static final String KEY = "__key__";

    private final ObjectStore store;
    private final List<String> tars;
    private final String pattern;
    private final String split;
    private final Schema schema;
    private final List<String> extensions;
    private InputStream open;
    private AutoCloseable owned;

    /**
     * @param store where the tars are (a directory or an S3 prefix); not owned
     * @param tars keys of the tar objects in order (a pattern expanded by {@link BracePattern})
     * @param pattern the pattern as given, for metadata and messages
     */
    public WebDatasetImporter(ObjectStore store, List<String> tars, String pattern, String split) throws IOException {
        this.store = store;
        this.tars = List.copyOf(tars);
        this.pattern = pattern;
        this.split = split;
        for (String t : tars) {
            if (!store.exists(t)) {
                throw new IngestUsageException(Dataset.where(store, t) + ": no such tar (from pattern '" + pattern + "')");
            }
        }
        Member[] first;
        try {
            Iterator<Input> it = inputs(split);
            if (!it.hasNext()) {
                throw new InputException("wds:" + pattern + ": the tars hold no files");
            }
            first = ((TarSample) it.next()).members;
        } catch (UncheckedIOException e) {
            throw e.getCause();
        } finally {
            closeOpen();
        }
        this.extensions = new ArrayList<>();
        List<FieldSpec> fields = new ArrayList<>();
        fields.add(FieldSpec.string(KEY));
        for (Member m : first) {
            extensions.add(m.ext);
            fields.add(fieldFor(m.ext));
        }
        this.schema = new Schema(fields);
    }

    static FieldSpec fieldFor(String ext) {
        return switch (ext) {
            case "cls" -> FieldSpec.of(ext, DType.INT64);
            case "txt", "json" -> FieldSpec.string(ext);
            default -> FieldSpec.bytes(ext, Encodings.forExtension(ext));
        };
    }

    @Override
    public Schema schema() {
        return schema;
    }

    @Override
    public List<String> splits() {
        return List.of(split);
    }

    @Override
    public long count(String s) {
        return -1;
    }

    private record Member(String ext, byte[] bytes) {}

    @Override
    public Iterator<Input> inputs(String s) throws IOException {
        closeOpen();
        return new Iterator<>() {
            int tarIndex = -1;
            TarArchiveInputStream tar;
            TarArchiveEntry pending;
            String lastMember;
            Input next;

            @Override
            public boolean hasNext() {
                try {
                    while (next == null) {
                        if (tar == null) {
                            if (++tarIndex >= tars.size()) {
                                return false;
                            }
                            String name = tars.get(tarIndex);
                            if (!name.endsWith(".gz")) {
                                checkEnd(name);
                            }
                            InputStream raw = new BufferedInputStream(new StoreInputStream(store, tars.get(tarIndex), 4 << 20), 1 << 16);
                            open = raw;
                            tar = new TarArchiveInputStream(tars.get(tarIndex).endsWith(".gz") ? new GZIPInputStream(raw) : raw);
                            lastMember = null;
                            pending = nextEntry();
                        }
                        if (pending == null) {
                            tar.close();
                            tar = null;
                            continue;
                        }
                        next = readSample();
                    }
                    return true;
                } catch (IOException e) {
                    throw new UncheckedIOException(e instanceof InputException || e instanceof StoreException ? e : new InputException(where() + ": corrupt"
                            + " or truncated tar " + (lastMember == null ? "at its start" : "after member '" + lastMember + "'")
                            + " (" + e.getMessage() + "); check or re-create the file", e));
                }
            }

            /** A tar is whole 512-byte records ending in a zero record; a cut-off tar is not. */
            private void checkEnd(String name) throws IOException {
                long size = store.size(name);
                boolean end = size >= 1024 && size % 512 == 0;
                if (end) {
                    java.nio.ByteBuffer last = java.nio.ByteBuffer.allocate(512);
                    store.read(name, size - 512, last);
                    for (byte x : last.array()) {
                        end &= x == 0;
                    }
                }
                if (!end) {
                    throw new InputException(Dataset.where(store, name) + ": truncated tar (" + size + " bytes, not"
                            + " whole 512-byte records ending in the end-of-archive marker); re-create or re-download it");
                }
            }

            private String where() {
                return Dataset.where(store, tars.get(tarIndex));
            }

            private TarArchiveEntry nextEntry() throws IOException {
                TarArchiveEntry e;
                while ((e = tar.getNextEntry()) != null) {
                    if (!e.isCheckSumOK()) {
                        throw new java.io.IOException("header checksum mismatch at member '" + e.getName() + "'");
                    }
                    if (e.isFile() && !base(e.getName()).startsWith(".")) {
                        return e;
                    }
                }
                return null;
            }

            private TarSample readSample() throws IOException {
                String key = key(pending.getName());
                TreeMap<String, byte[]> members = new TreeMap<>();
                while (pending != null && key(pending.getName()).equals(key)) {
                    String name = pending.getName();
                    String ext = ext(name);
                    if (pending.getSize() > Integer.MAX_VALUE - 16) {
                        throw new InputException(where() + ": member '" + name + "' is over 2 GiB");
                    }
                    byte[] b = tar.readAllBytes();
                    if (b.length != pending.getSize()) {
                        throw new InputException(where() + ": member '" + name + "' is truncated (" + b.length + " of "
                                + pending.getSize() + " bytes)");
                    }
                    if (members.put(ext, b) != null) {
                        throw new InputException(where() + ": sample '" + key + "' has two members with extension '"
                                + ext + "'");
                    }
                    lastMember = name;
                    pending = nextEntry();
                }
                Member[] ms = new Member[members.size()];
                int i = 0;
                for (Map.Entry<String, byte[]> e : members.entrySet()) {
                    ms[i++] = new Member(e.getKey(), e.getValue());
                }
                return new TarSample(where() + ":" + key, key, ms);
            }

            @Override
            public Input next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                Input n = next;
                next = null;
                return n;
            }
        };
    }

    private static String base(String name) {
        return name.substring(name.lastIndexOf('/') + 1);
    }

    /** The member path up to the first dot of its base name. */
    static String key(String name) {
        int slash = name.lastIndexOf('/');
        int dot = name.indexOf('.', slash + 1);
        return dot < 0 ? name : name.substring(0, dot);
    }

    static String ext(String name) {
        int slash = name.lastIndexOf('/');
        int dot = name.indexOf('.', slash + 1);
        return dot < 0 ? "" : name.substring(dot + 1);
    }

    @Override
    public Map<String, String> metadata(String s) {
        return Map.of("source." + split, "wds:" + pattern);
    }

    @Override
    public String fingerprint() {
        return "wds:" + store.location() + "|" + pattern + "|tars=" + tars.size() + "|split=" + split;
    }

    /** Makes {@link #close} also close {@code resource} (the store {@link Sources} opened for this importer). */
    WebDatasetImporter owning(AutoCloseable resource) {
        this.owned = resource;
        return this;
    }

    private void closeOpen() throws IOException {
        if (open != null) {
            open.close();
            open = null;
        }
    }

    @Override
    public void close() throws IOException {
        closeOpen();
        if (owned != null) {
            try {
                owned.close();
            } catch (IOException | RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IOException(e);
            }
            owned = null;
        }
    }

    /** One sample's members, typed on a worker. */
    private final class TarSample implements Input {
        final String where;
        final String key;
        final Member[] members;

        TarSample(String where, String key, Member[] members) {
            this.where = where;
            this.key = key;
            this.members = members;
        }

        @Override
        public String where() {
            return where;
        }

        @Override
        public Sample read() throws IOException {
            List<String> have = new ArrayList<>();
            for (Member m : members) {
                have.add(m.ext);
            }
            if (!have.equals(extensions)) {
                throw new InputException(where + ": sample has extensions " + have + " but the first sample had "
                        + extensions + "; every sample needs the same members");
            }
            ByteBuffer[] values = new ByteBuffer[members.length + 1];
            String[] enc = new String[values.length];
            values[0] = ByteBuffer.wrap(key.getBytes(StandardCharsets.UTF_8));
            long bytes = 0;
            for (int i = 0; i < members.length; i++) {
                Member m = members[i];
                bytes += m.bytes.length;
                FieldSpec f = schema.field(i + 1);
                String member = where + "." + m.ext;
                if (f.dtype() == DType.INT64) {
                    String text = utf8(m.bytes, member).trim();
                    try {
                        values[i + 1] = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, Long.parseLong(text));
                    } catch (NumberFormatException e) {
                        throw new InputException(member + ": '" + text + "' is not an integer class label");
                    }
                } else {
                    if (f.dtype() == DType.STRING) {
                        utf8(m.bytes, member);
                    } else if (f.encoding() != null) {
                        enc[i + 1] = Encodings.sniff(m.bytes);
                    }
                    values[i + 1] = ByteBuffer.wrap(m.bytes);
                }
            }
            return new Sample(values, enc, bytes);
        }

        private static String utf8(byte[] b, String member) throws InputException {
            try {
                CharBuffer c = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(b));
                return c.toString();
            } catch (CharacterCodingException e) {
                throw new InputException(member + ": not UTF-8 text", e);
            }
        }
    }
}
