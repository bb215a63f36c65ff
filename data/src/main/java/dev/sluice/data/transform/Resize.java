package dev.sluice.data.transform;

import java.nio.ByteBuffer;

/**
 * Bilinear resampling of a box of a 3-channel 8-bit image into an output of fixed size, with pixel
 * centres aligned ({@code align_corners=False}, as OpenCV's and PyTorch's bilinear without
 * antialiasing): output pixel {@code (y, x)} samples the box at
 * {@code ((y + 0.5) * boxH / outH - 0.5, (x + 0.5) * boxW / outW - 0.5)}, clamped to the box,
 * interpolating the four nearest pixels in float and rounding half up. Crop and resize in one pass,
 * writing straight into the batch buffer; allocates nothing.
 */
public final class Resize {

    private Resize() {
    }

    /**
     * @param src source pixels, {@code srcW * srcH * 3} bytes from index 0, rows back to back
     * @param srcW source width
     * @param srcBgr whether the source is BGR (the output is always RGB)
     * @param box the region of the source to resample
     * @param dst output buffer
     * @param dstOffset where the output's first byte goes
     * @param outH output height
     * @param outW output width
     */
    public static void bilinear(ByteBuffer src, int srcW, boolean srcBgr, CropBox box, ByteBuffer dst,
                                int dstOffset, int outH, int outW) {
        float sy = (float) box.height() / outH;
        float sx = (float) box.width() / outW;
        int maxY = box.height() - 1;
        int maxX = box.width() - 1;
        int c0 = srcBgr ? 2 : 0;
        int c2 = srcBgr ? 0 : 2;
        int o = dstOffset;
        for (int y = 0; y < outH; y++) {
            float fy = Math.min(Math.max((y + 0.5f) * sy - 0.5f, 0f), maxY);
            int y0 = (int) fy;
            int y1 = Math.min(y0 + 1, maxY);
            float wy = fy - y0;
            int row0 = (box.top() + y0) * srcW;
            int row1 = (box.top() + y1) * srcW;
            for (int x = 0; x < outW; x++) {
                float fx = Math.min(Math.max((x + 0.5f) * sx - 0.5f, 0f), maxX);
                int x0 = (int) fx;
                int x1 = Math.min(x0 + 1, maxX);
                float wx = fx - x0;
                int p00 = 3 * (row0 + box.left() + x0);
                int p01 = 3 * (row0 + box.left() + x1);
                int p10 = 3 * (row1 + box.left() + x0);
                int p11 = 3 * (row1 + box.left() + x1);
                dst.put(o++, lerp(src, p00 + c0, p01 + c0, p10 + c0, p11 + c0, wx, wy));
                dst.put(o++, lerp(src, p00 + 1, p01 + 1, p10 + 1, p11 + 1, wx, wy));
                dst.put(o++, lerp(src, p00 + c2, p01 + c2, p10 + c2, p11 + c2, wx, wy));
            }
        }
    }

    private static byte lerp(ByteBuffer s, int i00, int i01, int i10, int i11, float wx, float wy) {
        float top = (s.get(i00) & 0xFF) + ((s.get(i01) & 0xFF) - (s.get(i00) & 0xFF)) * wx;
        float bottom = (s.get(i10) & 0xFF) + ((s.get(i11) & 0xFF) - (s.get(i10) & 0xFF)) * wx;
        return (byte) (int) (top + (bottom - top) * wy + 0.5f);
    }
}
