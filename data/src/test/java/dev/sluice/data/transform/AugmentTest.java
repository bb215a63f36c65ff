package dev.sluice.data.transform;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.ByteBuffer;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;

/** The geometric augmentations against cases worked out by hand. */
class AugmentTest {

    private static DoubleSupplier draws(double... u) {
        int[] k = {0};
        return () -> u[k[0]++];
    }

    @Test
    void randomResizedCropTakesTheFirstAttemptThatFits() {
        // 100 x 200 image, area 20000. Attempt 1: fraction 0.08 + 0.5 * 0.92 = 0.54 -> 10800 px, ratio
        // exp(mid of the log range) = 1 -> 104 x 104, taller than 100: rejected (2 draws used).
        // Attempt 2: fraction 0.08 -> 1600 px, ratio 1 -> 40 x 40; top floor(0.25 * 61) = 15,
        // left floor(0.75 * 161) = 120.
        CropBox b = RandomResizedCrop.box(100, 200, draws(0.5, 0.5, 0.0, 0.5, 0.25, 0.75));
        assertEquals(new CropBox(15, 120, 40, 40), b);
    }

    @Test
    void randomResizedCropFallsBackToTheCentredBoxWithinTheRatioRange() {
        // 10 x 1000: no box of >= 8% of the area fits 10 rows at a ratio <= 4/3, so all 10 attempts
        // fail (2 draws each); the image is wider than 4/3, so h = 10, w = rint(10 * 4/3) = 13,
        // centred: left (1000 - 13) / 2 = 493.
        double[] u = new double[20];
        java.util.Arrays.fill(u, 0.5);
        assertEquals(new CropBox(0, 493, 10, 13), RandomResizedCrop.box(10, 1000, draws(u)));
        // a tall image: w = 7, h = rint(7 / (3/4)) = rint(9.33) = 9, centred in 700 rows: top 345
        assertEquals(new CropBox(345, 0, 9, 7), RandomResizedCrop.box(700, 7, draws(u)));
    }

    @Test
    void centerCropKeepsTheImageNetFractionOfTheShortSide() {
        // short side 100 * 0.875 = 87.5 -> 88 (half to even), centred in 100 x 200
        assertEquals(new CropBox(6, 56, 88, 88), CenterCrop.box(100, 200, 224, 224, 0.875));
        assertEquals(new CropBox(0, 50, 100, 100), CenterCrop.box(100, 200, 32, 32, 1.0));
    }

    @Test
    void flipMirrorsEachRow() {
        // 2 rows x 3 columns, pixel (y, x) = (10y+x, 100+10y+x, 200+10y+x)
        byte[] img = {
            0, 100, (byte) 200, 1, 101, (byte) 201, 2, 102, (byte) 202,
            10, 110, (byte) 210, 11, 111, (byte) 211, 12, 112, (byte) 212};
        byte[] want = {
            2, 102, (byte) 202, 1, 101, (byte) 201, 0, 100, (byte) 200,
            12, 112, (byte) 212, 11, 111, (byte) 211, 10, 110, (byte) 210};
        ByteBuffer buf = ByteBuffer.allocate(img.length + 4);
        buf.put(4, img);
        Flip.horizontal(buf, 4, 2, 3);
        byte[] got = new byte[img.length];
        buf.get(4, got);
        assertArrayEquals(want, got);
    }

    @Test
    void resizeHalvingAveragesEachTwoByTwoBlock() {
        // 4 x 4 grey-ish image (R = G = B); halving samples at source (0.5, 0.5) and (2.5, 2.5): the
        // mean of each 2x2 block, rounded half up
        int[][] v = {{10, 20, 0, 0}, {30, 40, 0, 1}, {100, 100, 7, 7}, {100, 101, 7, 8}};
        ByteBuffer src = ByteBuffer.allocate(48);
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                for (int c = 0; c < 3; c++) {
                    src.put(3 * (4 * y + x) + c, (byte) v[y][x]);
                }
            }
        }
        ByteBuffer dst = ByteBuffer.allocate(12);
        Resize.bilinear(src, 4, false, CropBox.whole(4, 4), dst, 0, 2, 2);
        int[] want = {25, 0, 100, 7}; // 25, 0.25 -> 0, 100.25 -> 100, 7.25 -> 7
        for (int p = 0; p < 4; p++) {
            assertEquals(want[p], dst.get(3 * p) & 0xFF, "pixel " + p);
        }
    }

    @Test
    void resizeOfABoxAtTheSameSizeCopiesItAndReordersBgr() {
        // 3 x 3 BGR image, pixel value (b, g, r) = (p, p + 50, p + 100) with p = 3y + x; the 2 x 2 box at
        // (1, 1) resized to 2 x 2 is a plain copy, written as RGB
        ByteBuffer src = ByteBuffer.allocate(27);
        for (int p = 0; p < 9; p++) {
            src.put(3 * p, (byte) p).put(3 * p + 1, (byte) (p + 50)).put(3 * p + 2, (byte) (p + 100));
        }
        ByteBuffer dst = ByteBuffer.allocate(12);
        Resize.bilinear(src, 3, true, new CropBox(1, 1, 2, 2), dst, 0, 2, 2);
        byte[] want = {104, 54, 4, 105, 55, 5, 107, 57, 7, 108, 58, 8};
        assertArrayEquals(want, dst.array());
    }

    @Test
    void drawsArePureFunctionsOfSeedEpochAndSample() {
        double a = new SampleDraws(7, 1, 42).getAsDouble();
        assertEquals(a, new SampleDraws(7, 1, 42).getAsDouble());
        SampleDraws reused = new SampleDraws(0, 0, 0);
        reused.getAsDouble();
        assertEquals(a, reused.reset(7, 1, 42).getAsDouble());
        assertNotEquals(a, new SampleDraws(7, 2, 42).getAsDouble());
        assertNotEquals(a, new SampleDraws(7, 1, 43).getAsDouble());
        assertNotEquals(a, new SampleDraws(8, 1, 42).getAsDouble());
    }
}
