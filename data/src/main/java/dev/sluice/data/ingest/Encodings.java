package dev.sluice.data.ingest;

import java.io.IOException;
import java.util.Iterator;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

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
     * The encoding of an image file's bytes, after checking its header: for JPEG the markers up to
     * the frame header (SOF) and a positive width, for PNG the IHDR chunk with its CRC and positive
     * dimensions (a few bytes' walk: these two are most files, and the JDK's ImageIO costs more than
     * reading the file); GIF, BMP and TIFF headers are parsed with the JDK's ImageIO readers; WebP,
     * which the JDK cannot read, is accepted on its signature. Pixels are not decoded (that is the
     * loader's job), so a file damaged after its header passes.
     *
     * @throws UnreadableInputException naming {@code where} if the bytes are not a readable image
     */
    public static String checkImage(byte[] bytes, String where) throws UnreadableInputException {
        String enc = sniff(bytes);
        if (enc == null) {
            throw new UnreadableInputException(where + ": not an image (no JPEG, PNG, GIF, WebP, BMP or TIFF signature)");
        }
        if (enc.equals("jpeg")) {
            checkJpeg(bytes, where);
            return enc;
        }
        if (enc.equals("png")) {
            checkPng(bytes, where);
            return enc;
        }
        ImageReader reader = reader(enc);
        if (reader == null) {
            return enc;
        }
        try (ImageInputStream in = new ByteArrayImageInputStream(bytes)) {
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

    /** Walks JPEG marker segments from SOI to the first frame header. */
    static void checkJpeg(byte[] b, String where) throws UnreadableInputException {
        int n = b.length;
        int i = 2;
        while (true) {
            if (i >= n || (b[i] & 0xff) != 0xFF) {
                throw new UnreadableInputException(where + ": JPEG without a frame header (marker expected at byte " + i + ")");
            }
            while (i < n && (b[i] & 0xff) == 0xFF) {
                i++;
            }
            if (i >= n) {
                throw new UnreadableInputException(where + ": JPEG ends before its frame header");
            }
            int m = b[i++] & 0xff;
            if (m == 0x01 || (m >= 0xD0 && m <= 0xD8)) {
                continue;
            }
            if (m == 0xDA || m == 0xD9 || i + 2 > n) {
                throw new UnreadableInputException(where + ": JPEG without a frame header before byte " + i);
            }
            int len = (b[i] & 0xff) << 8 | (b[i + 1] & 0xff);
            if (len < 2 || i + len > n) {
                throw new UnreadableInputException(where + ": JPEG segment at byte " + (i - 2) + " runs past the end");
            }
            boolean sof = m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
            if (sof) {
                int width = len >= 8 ? (b[i + 5] & 0xff) << 8 | (b[i + 6] & 0xff) : 0;
                if (width <= 0) {
                    throw new UnreadableInputException(where + ": JPEG frame header gives width " + width);
                }
                return;
            }
            i += len;
        }
    }

    /** Checks the PNG IHDR chunk: length 13, its CRC, positive width and height. */
    static void checkPng(byte[] b, String where) throws UnreadableInputException {
        if (b.length < 33 || b[8] != 0 || b[9] != 0 || b[10] != 0 || b[11] != 13
                || b[12] != 'I' || b[13] != 'H' || b[14] != 'D' || b[15] != 'R') {
            throw new UnreadableInputException(where + ": PNG without an IHDR chunk");
        }
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(b, 12, 17);
        long stored = java.nio.ByteBuffer.wrap(b, 29, 4).getInt() & 0xffffffffL;
        int w = java.nio.ByteBuffer.wrap(b, 16, 4).getInt();
        int h = java.nio.ByteBuffer.wrap(b, 20, 4).getInt();
        if (crc.getValue() != stored || w <= 0 || h <= 0) {
            throw new UnreadableInputException(where + ": PNG header is damaged (size " + w + "x" + h + ", CRC "
                    + (crc.getValue() == stored ? "ok" : "wrong") + ")");
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
