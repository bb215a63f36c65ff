package dev.sluice.data.transform;

import java.nio.ByteBuffer;

/** Horizontal mirroring of a 3-channel 8-bit image in place. */
public final class Flip {

    private Flip() {
    }

    /**
     * Mirrors the {@code height x width x 3} image at {@code offset} of {@code buf} left to right:
     * pixel {@code (y, x)} trades places with {@code (y, width - 1 - x)}, channels kept in order.
     */
    public static void horizontal(ByteBuffer buf, int offset, int height, int width) {
        for (int y = 0; y < height; y++) {
            int row = offset + y * width * 3;
            for (int a = 0, b = width - 1; a < b; a++, b--) {
                for (int c = 0; c < 3; c++) {
                    byte t = buf.get(row + 3 * a + c);
                    buf.put(row + 3 * a + c, buf.get(row + 3 * b + c));
                    buf.put(row + 3 * b + c, t);
                }
            }
        }
    }
}
