package dev.sluice.data.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * Both decoders against images written by the JDK's encoders: PNG is lossless, so the pixels must
 * equal the ones drawn; JPEG is lossy, so they must be close to them.
 */
class DecodersTest {

    static List<ImageDecoder> decoders() {
        List<ImageDecoder> d = new ArrayList<>();
        d.add(new ImageIoDecoder());
        // the natives ship for linux-x86_64, the platform the build and CI run on
        assertTrue(OpenCvDecoder.available(), "OpenCV should load here: " + OpenCvDecoder.unavailableReason());
        d.add(new OpenCvDecoder());
        return d;
    }

    static byte[] rgb(int w, int h) {
        byte[] px = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int o = 3 * (y * w + x);
                px[o] = (byte) (x * 255 / Math.max(1, w - 1));
                px[o + 1] = (byte) (y * 255 / Math.max(1, h - 1));
                px[o + 2] = (byte) ((x + y) * 2);
            }
        }
        return px;
    }

    static byte[] encode(byte[] rgb, int w, int h, String format, int type) throws Exception {
        BufferedImage img = new BufferedImage(w, h, type);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int o = 3 * (y * w + x);
                img.setRGB(x, y, (rgb[o] & 0xFF) << 16 | (rgb[o + 1] & 0xFF) << 8 | (rgb[o + 2] & 0xFF));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(img, format, out));
        return out.toByteArray();
    }

    @Test
    void pngDecodesToExactlyThePixelsDrawn() throws Exception {
        byte[] px = rgb(37, 23);
        byte[] png = encode(px, 37, 23, "png", BufferedImage.TYPE_INT_RGB);
        byte[] pngAlpha = encode(px, 37, 23, "png", BufferedImage.TYPE_INT_ARGB);
        for (ImageDecoder d : decoders()) {
            try (d) {
                for (byte[] bytes : List.of(png, pngAlpha)) {
                    DecodedImage img = d.decode(ByteBuffer.wrap(bytes));
                    assertEquals(37, img.width(), d.name());
                    assertEquals(23, img.height(), d.name());
                    assertArrayEquals(px, img.toRgb(), d.name());
                }
            }
        }
    }

    @Test
    void greyPngDecodesToThreeEqualChannels() throws Exception {
        BufferedImage g = new BufferedImage(5, 4, BufferedImage.TYPE_BYTE_GRAY);
        for (int i = 0; i < 20; i++) {
            g.getRaster().setSample(i % 5, i / 5, 0, i * 12);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(g, "png", out);
        for (ImageDecoder d : decoders()) {
            try (d) {
                byte[] px = d.decode(ByteBuffer.wrap(out.toByteArray())).toRgb();
                for (int i = 0; i < 20; i++) {
                    for (int c = 0; c < 3; c++) {
                        assertEquals(i * 12, px[3 * i + c] & 0xFF, d.name() + " pixel " + i);
                    }
                }
            }
        }
    }

    @Test
    void jpegDecodesCloseToThePixelsDrawnByBothDecoders() throws Exception {
        byte[] px = rgb(64, 48);
        byte[] jpeg = encode(px, 64, 48, "jpg", BufferedImage.TYPE_3BYTE_BGR);
        ByteBuffer offset = ByteBuffer.allocateDirect(jpeg.length + 10).position(10);
        offset.put(jpeg).position(10);
        for (ImageDecoder d : decoders()) {
            try (d) {
                DecodedImage img = d.decode(offset);
                assertEquals(10, offset.position(), "the input's position is left alone");
                byte[] got = img.toRgb();
                double err = 0;
                for (int i = 0; i < px.length; i++) {
                    err += Math.abs((px[i] & 0xFF) - (got[i] & 0xFF));
                }
                err /= px.length;
                assertTrue(err < 6, d.name() + " mean abs error " + err);
            }
        }
    }

    @Test
    void bytesThatAreNoImageFailWithADecodeException() throws Exception {
        byte[] jpeg = encode(rgb(16, 16), 16, 16, "jpg", BufferedImage.TYPE_3BYTE_BGR);
        byte[] truncatedHeader = java.util.Arrays.copyOf(jpeg, 20);
        for (ImageDecoder d : decoders()) {
            try (d) {
                // after a good image too: nothing of it may be handed out for the bad one
                assertEquals(16, d.decode(ByteBuffer.wrap(jpeg)).width());
                assertThrows(ImageDecodeException.class, () -> d.decode(ByteBuffer.wrap("not an image".getBytes())),
                        d.name());
                assertThrows(ImageDecodeException.class, () -> d.decode(ByteBuffer.wrap(truncatedHeader)), d.name());
                // still usable afterwards
                assertEquals(16, d.decode(ByteBuffer.wrap(jpeg)).width());
            }
        }
    }

    @Test
    void bytesInDirectBuffersDecodeInPlaceAsTheSameBytesOnTheHeapDo() throws Exception {
        byte[] a = encode(rgb(37, 23), 37, 23, "png", BufferedImage.TYPE_INT_RGB);
        byte[] b = encode(rgb(20, 31), 20, 31, "jpg", BufferedImage.TYPE_INT_RGB);
        // two direct buffers, each image at an odd offset, read in turn: a decoder that keeps a native
        // view of the last buffer must notice the switch
        ByteBuffer first = ByteBuffer.allocateDirect(a.length + b.length + 11);
        ByteBuffer second = ByteBuffer.allocateDirect(b.length + 5);
        first.put(7, a).put(7 + a.length + 3, b);
        second.put(5, b, 0, b.length);
        // offsets are absolute: positions are not the decoders' business
        first.position(3);
        second.position(1);
        List<ImageDecoder> all = decoders();
        try {
            for (ImageDecoder d : all) {
                byte[] wantA = d.decode(ByteBuffer.wrap(a)).toRgb();
                byte[] wantB = d.decode(ByteBuffer.wrap(b)).toRgb();
                assertArrayEquals(wantA, d.decode(first, 7, a.length).toRgb(), d.name());
                assertArrayEquals(wantB, d.decode(second, 5, b.length).toRgb(), d.name());
                assertArrayEquals(wantB, d.decode(first, 7 + a.length + 3, b.length).toRgb(), d.name());
                assertArrayEquals(wantA, d.decode(first, 7, a.length).toRgb(), d.name());
                assertArrayEquals(rgb(37, 23), d.decode(first, 7, a.length).toRgb(), d.name() + ": PNG is lossless");
                assertThrows(IndexOutOfBoundsException.class, () -> d.decode(second, 5, b.length + 1), d.name());
                assertEquals(3, first.position(), d.name() + " left the position alone");
                first.limit(7 + a.length - 1);
                assertThrows(IndexOutOfBoundsException.class, () -> d.decode(first, 7, a.length), d.name() + ": past the limit");
                first.limit(first.capacity());
            }
        } finally {
            all.forEach(ImageDecoder::close);
        }
    }
}
