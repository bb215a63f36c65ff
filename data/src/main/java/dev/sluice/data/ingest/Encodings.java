package dev.sluice.data.ingest;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Recognises image encodings from their leading bytes and checks that an image's header parses.
 * Pure functions plus a per-thread cache of the JDK's ImageIO readers.
 */
public final class Encodings {

    private Encodings() {}

    /** The encoding whose signature {@code b} starts with ({@code jpeg}, {@code png}, ...), or null. */
    public static String sniff(byte[] b) {
        int n = b.length;
        if (n >= 3 && (b[0] & 0xff) == 0xFF && (b[1] & 0xff) == 0xD8 && (b[2] & 0xff) == 0xFF) {
            return "jpeg";
        }
        if (n >= 8 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G'
                && b[4] == 0x0D && b[5] == 0x0A && b[6] == 0x1A && b[7] == 0x0A) {
            return "png";
        }
        if (n >= 6 && b[0] == 'G' && b[1] == 'I' && b[2] == 'F' && b[3] == '8' && (b[4] == '7' || b[4] == '9')
                && b[5] == 'a') {
            return "gif";
        }
        if (n >= 12 && b[0] == 'R' && b[1] == 'I' && b[2] == 'F' && b[3] == 'F'
                && b[8] == 'W' && b[9] == 'E' && b[10] == 'B' && b[11] == 'P') {
            return "webp";
        }
        if (n >= 2 && b[0] == 'B' && b[1] == 'M') {
            return "bmp";
        }
        if (n >= 4 && ((b[0] == 'I' && b[1] == 'I' && b[2] == 42 && b[3] == 0)
                || (b[0] == 'M' && b[1] == 'M' && b[2] == 0 && b[3] == 42))) {
            return "tiff";
        }
        return null;
    }

    /** The encoding a WebDataset-style extension names ({@code jpg} is {@code jpeg}), or null. */
    public static String forExtension(String ext) {
        String e = ext.substring(ext.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
        return switch (e) {
            case "jpg", "jpeg" -> "jpeg";
            case "png", "gif", "webp", "bmp" -> e;
            case "tif", "tiff" -> "tiff";
            default -> null;
        };
    }

    private static final ThreadLocal<ImageReader[]> READERS = ThreadLocal.withInitial(() -> new ImageReader[6]);
    private static final String[] FORMATS = {"jpeg", "png", "gif", "bmp", "tiff"};

    /**
     * The encoding of an image file's bytes, after checking its header parses (width and height
     * positive) with the JDK's reader for that encoding; formats the JDK cannot read (webp) are
     * accepted on their signature. Pixels are not decoded: that is the loader's job.
     *
     * @throws UnreadableInputException naming {@code where} if the bytes are not a readable image
     */
    public static String checkImage(byte[] bytes, String where) throws UnreadableInputException {
        String enc = sniff(bytes);
        if (enc == null) {
            throw new UnreadableInputException(where + ": not an image (no JPEG, PNG, GIF, WebP, BMP or TIFF signature)");
        }
        ImageReader reader = reader(enc);
        if (reader == null) {
            return enc;
        }
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            reader.setInput(in, true, true);
            int w = reader.getWidth(0);
            int h = reader.getHeight(0);
            if (w <= 0 || h <= 0) {
                throw new UnreadableInputException(where + ": " + enc + " header gives size " + w + "x" + h);
            }
            return enc;
        } catch (IOException | RuntimeException e) {
            throw new UnreadableInputException(where + ": unreadable " + enc + " header (" + e.getMessage() + ")", e);
        } finally {
            reader.setInput(null);
        }
    }

    private static ImageReader reader(String enc) {
        for (int i = 0; i < FORMATS.length; i++) {
            if (FORMATS[i].equals(enc)) {
                ImageReader[] cache = READERS.get();
                if (cache[i] == null) {
                    Iterator<ImageReader> it = ImageIO.getImageReadersByFormatName(enc);
                    if (!it.hasNext()) {
                        return null;
                    }
                    cache[i] = it.next();
                }
                return cache[i];
            }
        }
        return null;
    }
}
