package dev.sluice.data.image;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.PixelInterleavedSampleModel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import javax.imageio.ImageIO;

/**
 * The JDK's ImageIO: always available, the baseline. Decoding allocates a {@link BufferedImage}
 * per call (ImageIO offers no way to decode into a caller's buffer); a baseline 3-channel JPEG is
 * handed on without a copy, other pixel layouts (grey, alpha, palette) are converted once.
 */
public final class ImageIoDecoder implements ImageDecoder {

    static {
        // no disk cache for the streams ImageIO wraps around in-memory bytes
        ImageIO.setUseCache(false);
    }

    private final DecodedImage out = new DecodedImage();
    private byte[] input = new byte[0];
    private byte[] converted = new byte[0];
    private int[] row = new int[0];

    @Override
    public String name() {
        return "imageio";
    }

    @Override
    public DecodedImage decode(ByteBuffer encoded, int offset, int n) throws ImageDecodeException {
        if (input.length < n) {
            input = new byte[Math.max(n, input.length * 3 / 2)];
        }
        encoded.get(offset, input, 0, n);
        BufferedImage img;
        try {
            img = ImageIO.read(new ByteArrayInputStream(input, 0, n));
        } catch (IOException | RuntimeException e) {
            throw new ImageDecodeException("ImageIO could not decode " + n + " bytes: " + e, e);
        }
        if (img == null) {
            throw new ImageDecodeException("ImageIO found no reader for " + n + " bytes (neither JPEG nor PNG)");
        }
        int w = img.getWidth();
        int h = img.getHeight();
        if (img.getType() == BufferedImage.TYPE_3BYTE_BGR
                && img.getRaster().getSampleModel() instanceof PixelInterleavedSampleModel sm
                && sm.getScanlineStride() == 3 * w && img.getRaster().getDataBuffer().getNumBanks() == 1
                && img.getRaster().getSampleModelTranslateX() == 0 && img.getRaster().getSampleModelTranslateY() == 0) {
            byte[] data = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
            out.set(ByteBuffer.wrap(data), w, h, true);
            return out;
        }
        int need = w * h * 3;
        if (converted.length < need) {
            converted = new byte[need];
        }
        if (img.getType() == BufferedImage.TYPE_BYTE_GRAY
                && img.getRaster().getSampleModel() instanceof PixelInterleavedSampleModel sm && sm.getScanlineStride() == w
                && img.getRaster().getSampleModelTranslateX() == 0 && img.getRaster().getSampleModelTranslateY() == 0) {
            // grey stored values as they are: getRGB would pass them through a linear-to-sRGB conversion
            byte[] g = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
            for (int p = 0, o = 0; p < w * h; p++) {
                converted[o++] = g[p];
                converted[o++] = g[p];
                converted[o++] = g[p];
            }
            out.set(ByteBuffer.wrap(converted, 0, need), w, h, false);
            return out;
        }
        if (row.length < w) {
            row = new int[w];
        }
        for (int y = 0; y < h; y++) {
            img.getRGB(0, y, w, 1, row, 0, w);
            int o = y * w * 3;
            for (int x = 0; x < w; x++) {
                int argb = row[x];
                converted[o++] = (byte) (argb >>> 16);
                converted[o++] = (byte) (argb >>> 8);
                converted[o++] = (byte) argb;
            }
        }
        out.set(ByteBuffer.wrap(converted, 0, need), w, h, false);
        return out;
    }

    @Override
    public void close() {
        input = new byte[0];
        converted = new byte[0];
    }
}
