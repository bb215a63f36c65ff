package dev.sluice.engine.cli;

import dev.sluice.data.ingest.IdxFile;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * An image folder of real JPEG files made from Fashion-MNIST items (upscaled to 28..48 px on each
 * side and tinted, with ImageIO), one directory per class, and its import with
 * {@code ingest --from imagefolder:} (a bytes field {@code image}, encoding jpeg, and an int64
 * {@code label} with the class names), as {@code ingest --from imagefolder:} writes it.
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

    /** Imports the folder with {@code ingest --from imagefolder:DIR} into {@code dir/data}. */
    static Path ingest(Path folder, Path dir) {
        Path root = dir.resolve("data");
        CliRunner.Result r = CliRunner.run("ingest", "--from", "imagefolder:" + folder, "--to", root.toString(),
                "--shard-size", "256KB");
        if (r.code() != 0) {
            throw new AssertionError("ingest failed: " + r.all());
        }
        return root;
    }
}
