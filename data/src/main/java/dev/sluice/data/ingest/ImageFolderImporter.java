package dev.sluice.data.ingest;

import dev.sluice.data.format.DType;
import dev.sluice.data.format.FieldSpec;
import dev.sluice.data.format.Schema;
import dev.sluice.data.store.FileStore;
import dev.sluice.data.store.ObjectInfo;
import dev.sluice.data.store.ObjectStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.TreeSet;

/**
 * Imports images laid out one class per subdirectory (torchvision's ImageFolder, the ImageNet
 * layout): {@code ROOT/<class>/<files>}, or {@code ROOT/train/<class>/...} and
 * {@code ROOT/val/<class>/...} (also {@code test/}) as splits, where ROOT is a local directory or an
 * {@code s3://bucket/prefix} (its "directories" being the key prefixes up to a {@code /}). Two
 * fields: {@code image}, the file's bytes as stored (never re-encoded) with the encoding recognised
 * from its signature, and {@code label}, an int64 index into the class names, which are the class
 * directory names of all splits, sorted. Each class's files are taken in key order (by code point,
 * the order S3 lists in; nested directories included), classes in name order; the listing is
 * streamed from the store ({@link ObjectStore#iterate}), never held whole. Hidden names (a leading
 * '.') are ignored. A file whose header does not parse as an image is skipped (counted by
 * {@link Ingest}).
 */
public final class ImageFolderImporter implements Importer {

    /** Name of the encoded image field. */
    public static final String IMAGE = "image";
    /** Name of the label field. */
    public static final String LABEL = "label";
    /** Subdirectories that become splits. */
    public static final List<String> SPLIT_DIRS = List.of("train", "val", "test");

    private final ObjectStore store;
    private boolean ownsStore;
    /** The folder as the user named it (a path or s3://bucket/prefix), without a trailing slash. */
    private final String root;
    /** Split name to its key prefix in the store ("" or "train/"). */
    private final Map<String, String> splitPrefixes = new LinkedHashMap<>();
    private final Map<String, List<String>> splitClasses = new LinkedHashMap<>();
    private final List<String> classes;
    private final String firstEncoding;

    /**
     * Lists the layout of a local folder (split and class directories, not the files).
     *
     * @param root the image folder
     * @param split split name when {@code root} holds class directories directly
     * @throws InputException if {@code root} is missing or holds no class directories
     */
    public ImageFolderImporter(Path root, String split) throws IOException {
        this(local(root), true, root.toAbsolutePath().normalize().toString(), split);
    }

    /**
     * Lists the layout of an image folder at the root of {@code store} (for S3, a store opened on
     * {@code s3://bucket/prefix}); the caller keeps ownership of the store.
     *
     * @param root the folder as the user named it, for messages and the manifest's {@code source}
     * @param split split name when the folder holds class directories directly
     * @throws InputException if the folder holds no class directories
     */
    public ImageFolderImporter(ObjectStore store, String root, String split) throws IOException {
        this(store, false, root, split);
    }

    private ImageFolderImporter(ObjectStore store, boolean ownsStore, String root, String split) throws IOException {
        this.store = store;
        this.ownsStore = ownsStore;
        this.root = root.endsWith("/") ? root.substring(0, root.length() - 1) : root;
        try {
            List<String> top = store.directories("");
            for (String s : SPLIT_DIRS) {
                if (top.contains(s)) {
                    splitPrefixes.put(s, s + "/");
                }
            }
            if (splitPrefixes.isEmpty()) {
                splitPrefixes.put(split, "");
            }
            TreeSet<String> names = new TreeSet<>();
            for (Map.Entry<String, String> e : splitPrefixes.entrySet()) {
                List<String> here = e.getValue().isEmpty() ? top : store.directories(e.getValue());
                if (here.isEmpty()) {
                    throw new IngestUsageException(describe(e.getValue()) + ": no class directories; imagefolder: expects"
                            + " ROOT/<class>/<image files> (one subdirectory per class), or ROOT/train/<class>/... and"
                            + " ROOT/val/<class>/..., where ROOT is a directory or s3://bucket/prefix");
                }
                splitClasses.put(e.getKey(), here);
                names.addAll(here);
            }
            this.classes = List.copyOf(names);
            this.firstEncoding = peekEncoding();
        } catch (IOException | RuntimeException e) {
            if (ownsStore) {
                store.close();
            }
            throw e;
        }
    }

    private static ObjectStore local(Path root) throws InputException {
        if (!Files.isDirectory(root)) {
            throw new IngestUsageException(root + ": not a directory; imagefolder: takes DIR with one subdirectory per class");
        }
        return new FileStore(root, 1);
    }

    /** The printable location of a key prefix or key. */
    private String describe(String key) {
        if (key.isEmpty()) {
            return root;
        }
        return root + "/" + (key.endsWith("/") ? key.substring(0, key.length() - 1) : key);
    }

    /** The signature of the first file, as the expected encoding (corrected by the ingest if files differ). */
    private String peekEncoding() throws IOException {
        for (String split : splitPrefixes.keySet()) {
            for (Iterator<ImageObject> it = objects(split); hasNext(it); ) {
                ImageObject o = it.next();
                if (o.size() == 0) {
                    continue;
                }
                byte[] head = new byte[(int) Math.min(16, o.size())];
                store.read(o.key(), 0, ByteBuffer.wrap(head));
                String enc = Encodings.sniff(head);
                if (enc != null) {
                    return enc;
                }
            }
        }
        return null;
    }

    /** Class names in label order. */
    public List<String> classes() {
        return classes;
    }

    @Override
    public Schema schema() {
        return Schema.of(FieldSpec.bytes(IMAGE, firstEncoding),
                FieldSpec.of(LABEL, DType.INT64).withClasses(classes));
    }

    @Override
    public List<String> splits() {
        return List.copyOf(splitPrefixes.keySet());
    }

    /**
     * Local folders: the entries of the split's class directories, counted without a stat per entry
     * (nested directories count as one entry each), an estimate for the progress ETA in one listing
     * pass. Elsewhere -1 (unknown): counting would mean listing every key twice.
     */
    @Override
    public long count(String split) {
        if (!(store instanceof FileStore fs)) {
            return -1;
        }
        long n = 0;
        for (String c : splitClasses.get(split)) {
            Path dir = fs.root().resolve(splitPrefixes.get(split) + c);
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, p -> !p.getFileName().toString().startsWith("."))) {
                for (Path ignored : ds) {
                    n++;
                }
            } catch (IOException e) {
                return -1;
            }
        }
        return n;
    }

    @Override
    public Iterator<Input> inputs(String split) {
        Iterator<ImageObject> it = objects(split);
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public Input next() {
                ImageObject o = it.next();
                return new ImageFile(store, o.key(), o.size(), o.label(), describe(o.key()));
            }
        };
    }

    /** The split's objects below its class prefixes, class by class, hidden names left out. */
    private Iterator<ImageObject> objects(String split) {
        String prefix = splitPrefixes.get(split);
        Iterator<String> classNames = splitClasses.get(split).iterator();
        return new Iterator<>() {
            Iterator<ObjectInfo> files;
            long label;
            ImageObject next;

            @Override
            public boolean hasNext() {
                while (next == null) {
                    while (files == null || !files.hasNext()) {
                        if (!classNames.hasNext()) {
                            return false;
                        }
                        String c = classNames.next();
                        label = classes.indexOf(c);
                        try {
                            files = store.iterate(prefix + c + "/");
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }
                    ObjectInfo o = files.next();
                    if (!o.key().contains("/.")) {
                        next = new ImageObject(o.key(), o.size(), label);
                    }
                }
                return true;
            }

            @Override
            public ImageObject next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                ImageObject o = next;
                next = null;
                return o;
            }
        };
    }

    private static boolean hasNext(Iterator<?> it) throws IOException {
        try {
            return it.hasNext();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    @Override
    public Map<String, String> metadata(String split) {
        return Map.of("source." + split, "imagefolder:" + describe(splitPrefixes.get(split)));
    }

    @Override
    public String fingerprint() {
        return "imagefolder:" + root + "|splits=" + splitPrefixes.keySet();
    }

    /** Makes {@link #close} close the store too. */
    ImageFolderImporter owningStore() {
        this.ownsStore = true;
        return this;
    }

    @Override
    public void close() throws IOException {
        if (ownsStore) {
            store.close();
        }
    }

    /** A listed image object and its class. */
    private record ImageObject(String key, long size, long label) {}

    /** One image file and its class; read with one ranged read of the size the listing gave. */
    private record ImageFile(ObjectStore store, String key, long size, long label, String where) implements Input {

        @Override
        public Sample read() throws IOException {
            if (size > Integer.MAX_VALUE - 16) {
                throw new UnreadableInputException(where + ": " + size + " bytes is too large for one image value");
            }
            byte[] bytes = new byte[(int) size];
            if (size > 0) {
                store.read(key, 0, ByteBuffer.wrap(bytes));
            }
            String enc = Encodings.checkImage(bytes, where);
            ByteBuffer lab = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, label);
            return new Sample(new ByteBuffer[] {ByteBuffer.wrap(bytes), lab}, new String[] {enc, null}, bytes.length);
        }
    }
}
