package dev.sluice.data.ingest;

import dev.sluice.data.format.DType;
import dev.sluice.data.format.FieldSpec;
import dev.sluice.data.format.Schema;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.TreeSet;

/**
 * Imports a directory of images laid out one class per subdirectory (torchvision's ImageFolder, the
 * ImageNet layout): {@code DIR/<class>/<files>}, or {@code DIR/train/<class>/...} and
 * {@code DIR/val/<class>/...} (also {@code test/}) as splits. Two fields: {@code image}, the file's
 * bytes as stored (never re-encoded) with the encoding recognised from its signature, and
 * {@code label}, an int64 index into the class names, which are the class directory names of all
 * splits, sorted. Files are taken in name order, class by class, nested directories included; a
 * file whose header does not parse as an image is skipped (counted by {@link Ingest}).
 */
public final class ImageFolderImporter implements Importer {

    /** Name of the encoded image field. */
    public static final String IMAGE = "image";
    /** Name of the label field. */
    public static final String LABEL = "label";
    /** Subdirectories that become splits. */
    public static final List<String> SPLIT_DIRS = List.of("train", "val", "test");

    private final Path root;
    private final Map<String, Path> splitDirs = new LinkedHashMap<>();
    private final List<String> classes;
    private final String firstEncoding;

    /**
     * Lists the layout (split and class directories, not the files).
     *
     * @param root the image folder
     * @param split split name when {@code root} holds class directories directly
     * @throws InputException if {@code root} is missing or holds no class directories
     */
    public ImageFolderImporter(Path root, String split) throws IOException {
        this.root = root.toAbsolutePath().normalize();
        if (!Files.isDirectory(this.root)) {
            throw new InputException(root + ": not a directory; imagefolder: takes DIR with one subdirectory per class");
        }
        for (String s : SPLIT_DIRS) {
            if (Files.isDirectory(this.root.resolve(s))) {
                splitDirs.put(s, this.root.resolve(s));
            }
        }
        if (splitDirs.isEmpty()) {
            splitDirs.put(split, this.root);
        }
        TreeSet<String> names = new TreeSet<>();
        for (Map.Entry<String, Path> e : splitDirs.entrySet()) {
            List<String> here = new ArrayList<>();
            for (Path p : SortedWalk.list(e.getValue())) {
                if (Files.isDirectory(p)) {
                    here.add(p.getFileName().toString());
                }
            }
            if (here.isEmpty()) {
                throw new InputException(e.getValue() + ": no class directories; imagefolder: expects DIR/<class>/<image"
                        + " files> (one subdirectory per class), or DIR/train/<class>/... and DIR/val/<class>/...");
            }
            names.addAll(here);
        }
        this.classes = List.copyOf(names);
        this.firstEncoding = peekEncoding();
    }

    /** The signature of the first file, as the expected encoding (corrected by the ingest if files differ). */
    private String peekEncoding() throws IOException {
        for (Path dir : splitDirs.values()) {
            SortedWalk walk = new SortedWalk(dir);
            while (walk.hasNext()) {
                Path p = walk.next();
                if (p.getParent().equals(dir)) {
                    continue;
                }
                byte[] head = new byte[16];
                int n;
                try (var in = Files.newInputStream(p)) {
                    n = in.readNBytes(head, 0, head.length);
                }
                String enc = Encodings.sniff(java.util.Arrays.copyOf(head, n));
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
        return List.copyOf(splitDirs.keySet());
    }

    /**
     * The entries of the split's class directories, counted without a stat per entry (nested
     * directories count as one entry each): an estimate for the progress ETA, one listing pass.
     */
    @Override
    public long count(String split) {
        long n = 0;
        for (Path c : SortedWalk.list(splitDirs.get(split))) {
            if (Files.isDirectory(c)) {
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(c, p -> !p.getFileName().toString().startsWith("."))) {
                    for (Path ignored : ds) {
                        n++;
                    }
                } catch (IOException e) {
                    return -1;
                }
            }
        }
        return n;
    }

    @Override
    public Iterator<Input> inputs(String split) {
        Path dir = splitDirs.get(split);
        Iterator<Path> classDirs = SortedWalk.list(dir).stream().filter(Files::isDirectory).iterator();
        return new Iterator<>() {
            SortedWalk files;
            long label;

            @Override
            public boolean hasNext() {
                while (files == null || !files.hasNext()) {
                    if (!classDirs.hasNext()) {
                        return false;
                    }
                    Path c = classDirs.next();
                    label = classes.indexOf(c.getFileName().toString());
                    files = new SortedWalk(c);
                }
                return true;
            }

            @Override
            public Input next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return new ImageFile(files.next(), label);
            }
        };
    }

    @Override
    public Map<String, String> metadata(String split) {
        return Map.of("source." + split, "imagefolder:" + splitDirs.get(split));
    }

    @Override
    public String fingerprint() {
        return "imagefolder:" + root + "|splits=" + splitDirs.keySet();
    }

    /** One image file and its class. */
    private record ImageFile(Path path, long label) implements Input {

        @Override
        public String where() {
            return path.toString();
        }

        @Override
        public Sample read() throws IOException {
            byte[] bytes = Files.readAllBytes(path);
            String enc = Encodings.checkImage(bytes, path.toString());
            ByteBuffer lab = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, label);
            return new Sample(new ByteBuffer[] {ByteBuffer.wrap(bytes), lab}, new String[] {enc, null}, bytes.length);
        }
    }
}
