package dev.sluice.data.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sluice.data.transform.CropBox;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * OpenCV's crop, resize and flip against the hand-worked cases of AugmentTest, and against the
 * plain Java resampler (itself hand-checked there) on random images, boxes and mirrors: equal to
 * within one grey level (OpenCV rounds its fixed-point weights, the Java one computes in float).
 */
class OpenCvResamplerTest {

    @BeforeEach
    void openCv() {
        assumeTrue(OpenCvDecoder.available(), "OpenCV natives: " + OpenCvDecoder.unavailableReason());
    }

    private static DecodedImage image(byte[] px, int w, int h, boolean bgr) {
        ByteBuffer b = ByteBuffer.allocateDirect(px.length);
        b.put(0, px);
        DecodedImage img = new DecodedImage();
        img.set(b, w, h, bgr);
        return img;
    }

    @Test
    void halvingAveragesEachTwoByTwoBlock() {
        int[][] v = {{10, 20, 0, 0}, {30, 40, 0, 1}, {100, 100, 7, 7}, {100, 101, 7, 8}};
        byte[] px = new byte[48];
        for (int p = 0; p < 16; p++) {
            for (int c = 0; c < 3; c++) {
                px[3 * p + c] = (byte) v[p / 4][p % 4];
            }
        }
        ByteBuffer dst = ByteBuffer.allocate(12);
        try (OpenCvResampler r = new OpenCvResampler(2, 2)) {
            r.resample(image(px, 4, 4, false), CropBox.whole(4, 4), false, dst, 0, 2, 2);
        }
        int[] want = {25, 0, 100, 7}; // block means 25, 0.25, 100.25, 7.25
        for (int p = 0; p < 4; p++) {
            assertEquals(want[p], dst.get(3 * p) & 0xFF, "pixel " + p);
        }
    }

    @Test
    void aBoxAtTheOutputSizeIsCopiedAsRgbAndMirrored() {
        // 3 x 3 BGR image, pixel p = 3y + x is (b, g, r) = (p, p + 50, p + 100); the 2 x 2 box at (1, 1)
        byte[] px = new byte[27];
        for (int p = 0; p < 9; p++) {
            px[3 * p] = (byte) p;
            px[3 * p + 1] = (byte) (p + 50);
            px[3 * p + 2] = (byte) (p + 100);
        }
        ByteBuffer dst = ByteBuffer.allocate(4 + 12);
        try (OpenCvResampler r = new OpenCvResampler(2, 2)) {
            r.resample(image(px, 3, 3, true), new CropBox(1, 1, 2, 2), false, dst, 4, 2, 2);
            byte[] got = new byte[12];
            dst.get(4, got);
            assertArrayEquals(new byte[] {104, 54, 4, 105, 55, 5, 107, 57, 7, 108, 58, 8}, got);
            r.resample(image(px, 3, 3, true), new CropBox(1, 1, 2, 2), true, dst, 4, 2, 2);
            dst.get(4, got);
            assertArrayEquals(new byte[] {105, 55, 5, 104, 54, 4, 108, 58, 8, 107, 57, 7}, got);
        }
    }

    @Test
    void agreesWithTheJavaResamplerToOneGreyLevel() {
        Random rnd = new Random(3);
        int out = 24;
        try (OpenCvResampler cv = new OpenCvResampler(out, out)) {
            for (int trial = 0; trial < 40; trial++) {
                int w = 5 + rnd.nextInt(120);
                int h = 5 + rnd.nextInt(120);
                byte[] px = new byte[w * h * 3];
                // smooth gradients plus noise: like a photograph, not like white noise
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        for (int c = 0; c < 3; c++) {
                            px[3 * (y * w + x) + c] = (byte) ((x * (c + 1) * 3 + y * 2 + rnd.nextInt(16)) & 0xFF);
                        }
                    }
                }
                int bh = 1 + rnd.nextInt(h);
                int bw = 1 + rnd.nextInt(w);
                CropBox box = new CropBox(rnd.nextInt(h - bh + 1), rnd.nextInt(w - bw + 1), bh, bw);
                boolean bgr = rnd.nextBoolean();
                boolean mirror = rnd.nextBoolean();
                DecodedImage img = image(px, w, h, bgr);
                ByteBuffer a = ByteBuffer.allocate(out * out * 3);
                // a batch in native memory, written at the second slot: OpenCV writes into it directly
                int slot = out * out * 3;
                ByteBuffer b = ByteBuffer.allocateDirect(3 * slot);
                Resampler.JAVA.resample(img, box, mirror, a, 0, out, out);
                cv.resample(img, box, mirror, b, slot, out, out);
                int worst = 0;
                for (int i = 0; i < slot; i++) {
                    worst = Math.max(worst, Math.abs((a.get(i) & 0xFF) - (b.get(slot + i) & 0xFF)));
                    assertEquals(0, b.get(i), "nothing written before the slot");
                    assertEquals(0, b.get(2 * slot + i), "nothing written after the slot");
                }
                assertTrue(worst <= 1, "trial " + trial + ": " + w + "x" + h + " box " + box + " bgr " + bgr
                        + " mirror " + mirror + " differs by " + worst);
            }
        }
    }
}
