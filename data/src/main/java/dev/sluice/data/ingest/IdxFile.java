package dev.sluice.data.ingest;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * A sequential reader of an IDX file (the MNIST family's format), plain or gzip-compressed: a
 * 4-byte magic {@code 0x00 0x00 TYPE RANK}, RANK big-endian uint32 dimensions, then the items.
 * Only unsigned-byte data ({@code TYPE = 0x08}) is accepted, which is what MNIST-style files use.
 */
public final class IdxFile implements AutoCloseable {

    private static final int UBYTE = 0x08;

    private final Path path;
    private final DataInputStream in;
    private final int[] dims;
    private final int itemBytes;
    private int itemsRead;

    private IdxFile(Path path, DataInputStream in, int[] dims) {
        this.path = path;
        this.in = in;
        this.dims = dims;
        int b = 1;
        for (int i = 1; i < dims.length; i++) {
            b = Math.multiplyExact(b, dims[i]);
        }
        this.itemBytes = b;
    }

    /**
     * Opens an IDX file and checks its magic number against the expected rank.
     *
     * @param expectedRank 3 for images (count, rows, cols), 1 for labels (count)
     * @throws IdxFormatException naming the file, for a wrong magic number or a short header
     */
    public static IdxFile open(Path path, int expectedRank) throws IOException {
        if (!Files.isRegularFile(path)) {
            throw new java.nio.file.NoSuchFileException(path.toString(), null, "IDX file not found");
        }
        InputStream raw = new BufferedInputStream(Files.newInputStream(path), 1 << 16);
        try {
            raw.mark(2);
            int b0 = raw.read();
            int b1 = raw.read();
            raw.reset();
            if (b0 == 0x1f && b1 == 0x8b) {
                raw = new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16);
            }
            DataInputStream in = new DataInputStream(raw);
            int magic = in.readInt();
            int expected = (UBYTE << 8) | expectedRank;
            if (magic != expected) {
                throw new IdxFormatException(String.format("%s: wrong magic number 0x%08x, expected 0x%08x (IDX unsigned"
                        + " bytes, %d dimension%s: %s); pass the %s file in this position",
                        path, magic, expected, expectedRank, expectedRank == 1 ? "" : "s",
                        expectedRank == 1 ? "a labels file" : "an images file",
                        expectedRank == 1 ? "labels" : "images"));
            }
            int[] dims = new int[expectedRank];
            for (int i = 0; i < expectedRank; i++) {
                dims[i] = in.readInt();
                if (dims[i] <= 0) {
                    throw new IdxFormatException(path + ": dimension " + i + " is " + dims[i] + "; the header is damaged");
                }
            }
            return new IdxFile(path, in, dims);
        } catch (EOFException e) {
            raw.close();
            throw new IdxFormatException(path + ": ends inside the IDX header; the file is truncated");
        } catch (ZipException e) {
            raw.close();
            throw corrupt(path, e);
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    /** Dimensions from the header; {@code dims()[0]} is the item count. */
    public int[] dims() {
        return dims.clone();
    }

    /** Number of items. */
    public int count() {
        return dims[0];
    }

    /** Bytes of one item (product of the dimensions after the first). */
    public int itemBytes() {
        return itemBytes;
    }

    /**
     * Reads the next item into {@code dst[0 .. itemBytes)}.
     *
     * @throws IdxFormatException if the file ends early, naming how many items it held
     */
    public void next(byte[] dst) throws IOException {
        try {
            in.readFully(dst, 0, itemBytes);
            itemsRead++;
        } catch (EOFException e) {
            throw new IdxFormatException(path + ": ends after " + itemsRead + " of the " + dims[0]
                    + " items its header " + Arrays.toString(dims) + " announces; the file is truncated");
        } catch (ZipException e) {
            throw corrupt(path, e);
        }
    }

    /** Reads all remaining items into {@code dst}, which must hold exactly that many bytes. */
    public void readRemaining(byte[] dst) throws IOException {
        int items = dst.length / itemBytes;
        try {
            in.readFully(dst);
            itemsRead += items;
        } catch (EOFException e) {
            throw new IdxFormatException(path + ": ends before the " + dims[0] + " items its header "
                    + Arrays.toString(dims) + " announces; the file is truncated");
        } catch (ZipException e) {
            throw corrupt(path, e);
        }
    }

    /** The inflater's own message ("invalid distance too far back") names neither the file nor a remedy. */
    private static IdxFormatException corrupt(Path path, ZipException e) {
        IdxFormatException wrapped = new IdxFormatException(path + ": the gzip data is corrupt (" + e.getMessage()
                + "); download the file again or check it with gzip -t");
        wrapped.initCause(e);
        return wrapped;
    }

    public Path path() {
        return path;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
