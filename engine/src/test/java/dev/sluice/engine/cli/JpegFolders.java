package dev.sluice.engine.cli;

import dev.sluice.data.format.DType;
import dev.sluice.data.format.DatasetWriter;
import dev.sluice.data.format.FieldSpec;
import dev.sluice.data.format.Schema;
import dev.sluice.data.ingest.IdxFile;
import dev.sluice.data.store.FileStore;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * An image folder of real JPEG files made from Fashion-MNIST items (upscaled to 28..48 px on each
 * side and tinted, with ImageIO), one directory per class, and the dataset an {@code imagefolder:}
 * import of it gives: a bytes field {@code image} (encoding jpeg) and an int64 {@code label} with the
 * class names, the schema of the importer on the {@code importers} branch. The files are written here
 * with {@link DatasetWriter} because that importer is not on this branch yet.
 */
final class JpegFolders {

    static final Path FASHION = Path.of("/usr/share/datasets/fashion-mnist");
    static final List<String> CLASSES = List.of("t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt",
            "sneaker", "bag", "boot");

    private JpegFolders() {}

    /**
     * Writes {@code DIR/<split>/<class>/<n>.jpg} from the first {@code count} items of a
     * Fashion-MNIST split ({@code train} or {@code t10k}).
     */
    static void write(Path dir, String split, String idxPrefix, int count, long seed) throws IOException {
        Random rnd = new Random(seed);
        try (IdxFile images = IdxFile.open(FASHION.resolve(idxPrefix + "-images-idx3-ubyte.gz"), 3);
             IdxFile labels = IdxFile.open(FASHION.resolve(idxPrefix + "-labels-idx1-ubyte.gz"), 1)) {
            byte[] px = new byte[28 * 28];
            byte[] lab = new byte[1];
            for (int i = 0; i < count; i++) {
                images.next(px);
                labels.next(lab);
                BufferedImage grey = new BufferedImage(28, 28, BufferedImage.TYPE_INT_RGB);
                // a tint per image: the class is in the shape, not the colour
                float tr = 0.4f + 0.6f * rnd.nextFloat();
                float tg = 0.4f + 0.6f * rnd.nextFloat();
                float tb = 0.4f + 0.6f * rnd.nextFloat();
                for (int y = 0; y < 28; y++) {
                    for (int x = 0; x < 28; x++) {
                        int v = px[y * 28 + x] & 0xFF;
                        grey.setRGB(x, y, ((int) (v * tr) << 16) | ((int) (v * tg) << 8) | (int) (v * tb));
                    }
                }
                int w = 28 + rnd.nextInt(21);
                int h = 28 + rnd.nextInt(21);
                BufferedImage big = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
                Graphics2D g = big.createGraphics();
                g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
                g.drawImage(grey, 0, 0, w, h, null);
                g.dispose();
                Path file = dir.resolve(split).resolve(CLASSES.get(lab[0])).resolve(i + ".jpg");
                Files.createDirectories(file.getParent());
                if (!ImageIO.write(big, "jpeg", file.toFile())) {
                    throw new IOException("no JPEG writer in ImageIO");
                }
            }
        }
    }

    /**
     * The dataset of an image folder: every {@code DIR/<split>/<class>/*.jpg} file's bytes, unchanged,
     * and its class's index, in sorted path order.
     */
    static Path ingest(Path folder, Path dir) throws IOException {
        Schema schema = Schema.of(FieldSpec.bytes("image", "jpeg"), FieldSpec.of("label", DType.INT64).withClasses(CLASSES));
        Path root = dir.resolve("data");
        try (FileStore store = new FileStore(root);
             DatasetWriter writer = new DatasetWriter(store, "fashion-jpeg", schema, 256 << 10, dir.resolve("staging"),
                     Map.of(), null)) {
            for (String split : List.of("train", "test")) {
                List<Path> files;
                try (Stream<Path> s = Files.walk(folder.resolve(split))) {
                    files = new ArrayList<>(s.filter(p -> p.toString().endsWith(".jpg")).sorted().toList());
                }
                ByteBuffer label = ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                for (Path f : files) {
                    label.clear().putLong(0, CLASSES.indexOf(f.getParent().getFileName().toString()));
                    writer.add(split, ByteBuffer.wrap(Files.readAllBytes(f)), label.clear());
                }
            }
            writer.commit();
        }
        return root;
    }
}
