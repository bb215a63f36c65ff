package dev.sluice.data.image;

import java.nio.ByteBuffer;

/**
 * Pixels a decoder produced: {@code height x width x 3} bytes, rows back to back without padding,
 * channels in RGB order or, when {@link #bgr()}, in BGR order (what the JDK and OpenCV produce
 * natively; the resize step reorders while it reads, so no extra pass is spent on it). A mutable
 * holder the decoder reuses.
 */
public final class DecodedImage {

    private ByteBuffer pixels;
    private int width;
    private int height;
    private boolean bgr;

    /**
     * Points this holder at a decoder's output (for {@link ImageDecoder} implementations).
     *
     * @param pixels {@code height * width * 3} bytes from index 0
     * @param bgr whether channel 0 is blue
     */
    public void set(ByteBuffer pixels, int width, int height, boolean bgr) {
        this.pixels = pixels;
        this.width = width;
        this.height = height;
        this.bgr = bgr;
    }

    /** The pixels, from index 0; read with absolute gets. */
    public ByteBuffer pixels() {
        return pixels;
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    /** Whether channel 0 of each pixel is blue rather than red. */
    public boolean bgr() {
        return bgr;
    }

    /** A standalone copy in RGB order ({@code height * width * 3} bytes): for tests and tools, not the hot path. */
    public byte[] toRgb() {
        byte[] out = new byte[width * height * 3];
        for (int p = 0; p < width * height; p++) {
            for (int c = 0; c < 3; c++) {
                out[3 * p + c] = pixels.get(3 * p + (bgr ? 2 - c : c));
            }
        }
        return out;
    }
}
