package dev.sluice.data.ingest;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/** Small images encoded by the JDK's ImageIO, an encoder independent of the importer. */
final class TestImages {

    private TestImages() {}

    /** A w x h RGB image whose pixels depend on {@code seed}, encoded as {@code format} (jpeg, png). */
    static byte[] encode(String format, int w, int h, int seed) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, ((x * 37 + seed * 11) & 0xff) << 16 | ((y * 53 + seed) & 0xff) << 8 | (seed * 97 & 0xff));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(img, format, out)) {
                throw new IllegalStateException("no ImageIO writer for " + format);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
