package dev.sluice.data.ingest;

import dev.sluice.data.format.DType;
import dev.sluice.data.format.DatasetWriter;
import dev.sluice.data.format.FieldSpec;
import dev.sluice.data.format.Schema;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * Imports an IDX images file and its labels file (MNIST, Fashion-MNIST, ...) as one split with two
 * fields: {@code image} (uint8, HWC shape {@code [rows, cols, 1]}) and {@code label} (uint8 scalar
 * with class names).
 */
public final class IdxImporter {

    /** Name of the image field this importer writes. */
    public static final String IMAGE = "image";
    /** Name of the label field this importer writes. */
    public static final String LABEL = "label";

    /** Class names of Fashion-MNIST, in label order. */
    public static final List<String> FASHION_MNIST_CLASSES = List.of("T-shirt/top", "Trouser", "Pullover",
            "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    private final Path images;
    private final Path labels;

    public IdxImporter(Path images, Path labels) {
        this.images = images;
        this.labels = labels;
    }

    /**
     * Reads the headers and the labels and returns the schema the import will write.
     *
     * @param classNames class names to record, or null for "0".."max label"
     */
    public Schema schema(List<String> classNames) throws IOException {
        byte[] lab = readLabels();
        int rows;
        int cols;
        try (IdxFile img = IdxFile.open(images, 3)) {
            rows = img.dims()[1];
            cols = img.dims()[2];
            if (img.count() != lab.length) {
                throw new IdxFormatException(images + " holds " + img.count() + " images but " + labels + " holds "
                        + lab.length + " labels; pass matching files");
            }
        }
        int max = 0;
        for (byte b : lab) {
            max = Math.max(max, b & 0xff);
        }
        List<String> classes = classNames;
        if (classes == null) {
            classes = new ArrayList<>();
            for (int i = 0; i <= max; i++) {
                classes.add(Integer.toString(i));
            }
        } else if (max >= classes.size()) {
            throw new IdxFormatException(labels + " has label " + max + " but only " + classes.size()
                    + " class names were given");
        }
        return Schema.of(
                FieldSpec.of(IMAGE, DType.UINT8, rows, cols, 1),
                FieldSpec.of(LABEL, DType.UINT8).withClasses(classes));
    }

    /** Number of samples the files hold (from the labels file header). */
    public int count() throws IOException {
        try (IdxFile lf = IdxFile.open(labels, 1)) {
            return lf.count();
        }
    }

    /** Metadata keys the importer records (image layout, source files). */
    public Map<String, String> metadata() {
        return Map.of(IMAGE + ".layout", "HWC", "source", "idx:" + images.getFileName() + "," + labels.getFileName());
    }

    /**
     * Appends every (image, label) pair to {@code split} of the writer, in file order.
     *
     * @param progress called with the number of samples written so far, every 1000 samples and at the end
     * @return samples written
     */
    public long importInto(DatasetWriter writer, String split, LongConsumer progress) throws IOException {
        byte[] lab = readLabels();
        try (IdxFile img = IdxFile.open(images, 3)) {
            if (img.count() != lab.length) {
                throw new IdxFormatException(images + " holds " + img.count() + " images but " + labels + " holds "
                        + lab.length + " labels; pass matching files");
            }
            byte[] pixels = new byte[img.itemBytes()];
            ByteBuffer pix = ByteBuffer.wrap(pixels);
            byte[] one = new byte[1];
            ByteBuffer label = ByteBuffer.wrap(one);
            for (int i = 0; i < lab.length; i++) {
                img.next(pixels);
                one[0] = lab[i];
                writer.add(split, pix, label);
                if ((i + 1) % 1000 == 0) {
                    progress.accept(i + 1);
                }
            }
            progress.accept(lab.length);
            return lab.length;
        }
    }

    private byte[] readLabels() throws IOException {
        try (IdxFile lf = IdxFile.open(labels, 1)) {
            byte[] lab = new byte[lf.count()];
            lf.readRemaining(lab);
            return lab;
        }
    }
}
