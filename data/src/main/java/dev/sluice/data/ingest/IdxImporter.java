package dev.sluice.data.ingest;

import dev.sluice.data.format.Compression;
import dev.sluice.data.format.DType;
import dev.sluice.data.format.FieldSpec;
import dev.sluice.data.format.Schema;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.TreeSet;

/**
 * IDX image and label files (MNIST, Fashion-MNIST, ...) as a source for {@link Ingest}: each split is
 * an images file and its labels file, written as two fields: {@code image} (uint8, HWC shape
 * {@code [rows, cols, 1]}) and {@code label} (uint8 scalar with class names). The files are read
 * in order on the listing thread (an IDX file is one sequential, possibly gzipped, stream).
 */
public final class IdxImporter implements Importer {

    /** Name of the image field this importer writes. */
    public static final String IMAGE = "image";
    /** Name of the label field this importer writes. */
    public static final String LABEL = "label";

    /** Class names of Fashion-MNIST, in label order. */
    public static final List<String> FASHION_MNIST_CLASSES = List.of("T-shirt/top", "Trouser", "Pullover",
            "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    /**
     * The files of one split.
     *
     * @param images IDX images file (rank 3, plain or .gz)
     * @param labels IDX labels file (rank 1, plain or .gz)
     */
    public record Files(Path images, Path labels) {}

    private final Map<String, Files> splits;
    private final List<String> classNames;
    private final Set<String> compressed;
    private final Map<String, String> extraMetadata;
    private final List<IdxFile> open = new ArrayList<>();
    private Schema schema;

    /**
     * @param splits split name to its files, in the order the splits are written
     * @param classNames class names in label order, or null for "0".."largest label"
     * @param compressed fields to store zstd-compressed ({@code image}, {@code label})
     * @param extraMetadata more manifest metadata (e.g. {@code image.mean}); may be empty
     */
    public IdxImporter(Map<String, Files> splits, List<String> classNames, Set<String> compressed,
                       Map<String, String> extraMetadata) {
        if (splits.isEmpty()) {
            throw new IllegalArgumentException("no splits to import");
        }
        this.splits = new LinkedHashMap<>(splits);
        this.classNames = classNames == null ? null : List.copyOf(classNames);
        this.compressed = new TreeSet<>(compressed);
        this.extraMetadata = Map.copyOf(extraMetadata);
    }

    /** One split from one pair of files, label values as class names, nothing compressed. */
    public static IdxImporter of(String split, Path images, Path labels) {
        return new IdxImporter(Map.of(split, new Files(images, labels)), null, Set.of(), Map.of());
    }

    /**
     * Reads the headers and the labels of every split and returns the schema the import writes.
     *
     * @throws IdxFormatException if the files disagree (image size, counts) or a label has no class name
     * @throws InputException if a field to compress does not exist
     */
    @Override
    public synchronized Schema schema() throws IOException {
        if (schema != null) {
            return schema;
        }
        for (String c : compressed) {
            if (!c.equals(IMAGE) && !c.equals(LABEL)) {
                throw new IngestUsageException("--compress " + c + ": no such field; idx: sources have the fields "
                        + IMAGE + " and " + LABEL);
            }
        }
        int[] shape = null;
        Path first = null;
        int max = 0;
        for (Files f : splits.values()) {
            byte[] lab = readLabels(f.labels());
            try (IdxFile img = IdxFile.open(f.images(), 3)) {
                if (img.count() != lab.length) {
                    throw new IdxFormatException(f.images() + " holds " + img.count() + " images but " + f.labels()
                            + " holds " + lab.length + " labels; pass matching files");
                }
                int[] s = {img.dims()[1], img.dims()[2]};
                if (shape == null) {
                    shape = s;
                    first = f.images();
                } else if (shape[0] != s[0] || shape[1] != s[1]) {
                    throw new IdxFormatException(f.images() + " holds " + s[0] + "x" + s[1] + " images but " + first
                            + " holds " + shape[0] + "x" + shape[1] + "; every split needs the same image size");
                }
            }
            for (byte b : lab) {
                max = Math.max(max, b & 0xff);
            }
        }
        List<String> classes = classNames;
        if (classes == null) {
            classes = new ArrayList<>();
            for (int i = 0; i <= max; i++) {
                classes.add(Integer.toString(i));
            }
        } else if (max >= classes.size()) {
            throw new IdxFormatException("the labels hold label " + max + " but only " + classes.size()
                    + " class names were given");
        }
        schema = Schema.of(compress(FieldSpec.of(IMAGE, DType.UINT8, shape[0], shape[1], 1)),
                compress(FieldSpec.of(LABEL, DType.UINT8).withClasses(classes)));
        return schema;
    }

    private FieldSpec compress(FieldSpec f) {
        return compressed.contains(f.name()) ? f.withCompression(Compression.ZSTD) : f;
    }

    @Override
    public List<String> splits() {
        return List.copyOf(splits.keySet());
    }

    @Override
    public long count(String split) throws IOException {
        try (IdxFile lf = IdxFile.open(files(split).labels(), 1)) {
            return lf.count();
        }
    }

    @Override
    public Iterator<Input> inputs(String split) throws IOException {
        Files f = files(split);
        byte[] lab = readLabels(f.labels());
        IdxFile img = IdxFile.open(f.images(), 3);
        synchronized (open) {
            open.add(img);
        }
        String name = f.images().getFileName().toString();
        return new Iterator<>() {
            private int next;

            @Override
            public boolean hasNext() {
                return next < lab.length;
            }

            @Override
            public Input next() {
                if (next >= lab.length) {
                    throw new NoSuchElementException();
                }
                byte[] pixels = new byte[img.itemBytes()];
                try {
                    img.next(pixels);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                int i = next++;
                Sample s = new Sample(new ByteBuffer[] {ByteBuffer.wrap(pixels), ByteBuffer.wrap(new byte[] {lab[i]})},
                        new String[2], pixels.length + 1L);
                return new Input() {
                    @Override
                    public String where() {
                        return name + ":" + i;
                    }

                    @Override
                    public Sample read() {
                        return s;
                    }
                };
            }
        };
    }

    /** Metadata: the image layout, {@code source.<split>} naming the files, and the extra entries. */
    @Override
    public Map<String, String> metadata(String split) {
        Files f = files(split);
        Map<String, String> m = new LinkedHashMap<>(extraMetadata);
        m.put(IMAGE + ".layout", "HWC");
        m.put("source." + split, "idx:" + f.images().getFileName() + "," + f.labels().getFileName());
        return m;
    }

    @Override
    public String fingerprint() {
        StringBuilder b = new StringBuilder("idx");
        splits.forEach((s, f) -> b.append('|').append(s).append('=').append(f.images()).append(',').append(f.labels()));
        return b.append("|classes=").append(classNames).append("|compress=").append(compressed).toString();
    }

    @Override
    public void close() throws IOException {
        synchronized (open) {
            IOException first = null;
            for (IdxFile f : open) {
                try {
                    f.close();
                } catch (IOException e) {
                    if (first == null) {
                        first = e;
                    } else {
                        first.addSuppressed(e);
                    }
                }
            }
            open.clear();
            if (first != null) {
                throw first;
            }
        }
    }

    private Files files(String split) {
        Files f = splits.get(split);
        if (f == null) {
            throw new IllegalArgumentException("no split '" + split + "' in this idx source; it has " + splits.keySet());
        }
        return f;
    }

    private static byte[] readLabels(Path labels) throws IOException {
        try (IdxFile lf = IdxFile.open(labels, 1)) {
            byte[] lab = new byte[lf.count()];
            lf.readRemaining(lab);
            return lab;
        }
    }
}
