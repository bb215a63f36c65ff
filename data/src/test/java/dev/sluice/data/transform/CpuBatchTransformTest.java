package dev.sluice.data.transform;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class CpuBatchTransformTest {

    private static final float INV = CpuBatchTransform.INV_255;

    @Test
    void inverseOf255IsTheNearestFloat() {
        assertEquals(0x3B808081, Float.floatToRawIntBits(INV));
        assertEquals(1f / 255f, INV);
        assertEquals(1.0f, 255 * INV, "255 must map to exactly 1");
    }

    @Test
    void convertsHwcToChwScaledBy255() {
        // 2x2 RGB, pixel-interleaved
        byte[] hwc = bytes(0, 51, 255, /**/ 1, 2, 3, /**/ 10, 20, 30, /**/ 100, 200, 250);
        float[] out = run(TransformSpec.builder(Layout.HWC, 2, 2, 3).build(), hwc, 1, 0);
        float[] expected = {
            0f, 1 * INV, 10 * INV, 100 * INV,          // R plane
            51 * INV, 2 * INV, 20 * INV, 200 * INV,    // G plane
            1.0f, 3 * INV, 30 * INV, 250 * INV,        // B plane
        };
        assertBitsEqual(expected, out);
    }

    @Test
    void chwInputGivesTheSameFloatsAsHwc() {
        byte[] hwc = bytes(0, 51, 255, 1, 2, 3, 10, 20, 30, 100, 200, 250);
        byte[] chw = bytes(0, 1, 10, 100, 51, 2, 20, 200, 255, 3, 30, 250);
        float[] mean = {0.485f, 0.456f, 0.406f};
        float[] std = {0.229f, 0.224f, 0.225f};
        float[] a = run(TransformSpec.builder(Layout.HWC, 2, 2, 3).normalize(mean, std).build(), hwc, 1, 0);
        float[] b = run(TransformSpec.builder(Layout.CHW, 2, 2, 3).normalize(mean, std).build(), chw, 1, 0);
        assertBitsEqual(a, b);
    }

    @Test
    void normalizesPerChannel() {
        // channel 0: mean 0.5, std 0.25 -> 255 maps to (1 - 0.5) * 4 = 2, 0 to -2
        // channel 1: mean 0, std 0.5 -> 255 maps to 2, 0 to 0
        TransformSpec spec = TransformSpec.builder(Layout.HWC, 1, 3, 2)
                .normalize(new float[] {0.5f, 0f}, new float[] {0.25f, 0.5f}).build();
        float[] out = run(spec, bytes(255, 255, 0, 0, 51, 102), 1, 0);
        assertEquals(2.0f, out[0]);
        assertEquals(-2.0f, out[1]);
        assertEquals(-1.2f, out[2], 1e-6f);      // (0.2 - 0.5) * 4
        assertEquals(2.0f, out[3]);
        assertEquals(0.0f, out[4]);
        assertEquals(0.8f, out[5], 1e-6f);       // 0.4 * 2
        // and bit for bit the documented float32 expression
        assertEquals(Float.floatToRawIntBits((51 * INV - 0.5f) * (1f / 0.25f)), Float.floatToRawIntBits(out[2]));
    }

    @Test
    void cropAndFlipFollowTheSampleHash() {
        // 3x3 gray image 1..9 padded by one zero pixel:   0 0 0 0 0
        //                                                 0 1 2 3 0
        //                                                 0 4 5 6 0
        //                                                 0 7 8 9 0
        //                                                 0 0 0 0 0
        TransformSpec spec = TransformSpec.builder(Layout.HWC, 3, 3, 1).randomCrop(1).flip(true).seed(2024).build();
        byte[] image = bytes(1, 2, 3, 4, 5, 6, 7, 8, 9);

        long topLeft = sampleIdWith(spec, 0, 0, false);
        assertBitsEqual(scaled(0, 0, 0, 0, 1, 2, 0, 4, 5), run(spec, image, 1, topLeft));

        long bottomMiddleFlipped = sampleIdWith(spec, 2, 1, true);
        // window rows 2..4, cols 1..3 = [4 5 6 / 7 8 9 / 0 0 0], mirrored
        assertBitsEqual(scaled(6, 5, 4, 9, 8, 7, 0, 0, 0), run(spec, image, 1, bottomMiddleFlipped));

        long centreFlipped = sampleIdWith(spec, 1, 1, true);
        assertBitsEqual(scaled(3, 2, 1, 6, 5, 4, 9, 8, 7), run(spec, image, 1, centreFlipped));

        long centre = sampleIdWith(spec, 1, 1, false);
        assertBitsEqual(scaled(1, 2, 3, 4, 5, 6, 7, 8, 9), run(spec, image, 1, centre));
    }

    @Test
    void paddingIsZeroBeforeNormalization() {
        TransformSpec spec = TransformSpec.builder(Layout.CHW, 3, 3, 1).randomCrop(1).seed(5)
                .normalize(new float[] {0.5f}, new float[] {0.25f}).build();
        long topLeft = sampleIdWith(spec, 0, 0, false);
        float[] out = run(spec, bytes(255, 255, 255, 255, 255, 255, 255, 255, 255), 1, topLeft);
        // padded border is byte 0 -> -2; image pixels are 255 -> 2
        assertArrayEquals(new float[] {-2, -2, -2, -2, 2, 2, -2, 2, 2}, out);
    }

    @Test
    void eachSampleOfABatchUsesItsOwnIdAndSplitsAgree() {
        TransformSpec spec = TransformSpec.builder(Layout.HWC, 8, 6, 3).randomCrop(3).flip(true).seed(77)
                .normalize(new float[] {0.1f, 0.2f, 0.3f}, new float[] {0.3f, 0.2f, 0.1f}).build();
        int n = 10;
        byte[] batch = randomBytes(n * spec.inputBytesPerSample(), 1);
        float[] whole = run(spec, batch, n, 500);
        int perSample = spec.inputBytesPerSample();
        for (int s = 0; s < n; s++) {
            byte[] one = Arrays.copyOfRange(batch, s * perSample, (s + 1) * perSample);
            float[] single = run(spec, one, 1, 500 + s);
            assertBitsEqual(single, Arrays.copyOfRange(whole, s * perSample, (s + 1) * perSample));
        }
    }

    @Test
    void sameSeedSameOutputDifferentSeedDifferentCrops() {
        TransformSpec spec = TransformSpec.builder(Layout.HWC, 16, 16, 3).randomCrop(4).flip(true).seed(1).build();
        byte[] batch = randomBytes(32 * spec.inputBytesPerSample(), 2);
        float[] a = run(spec, batch, 32, 0);
        float[] b = run(spec, batch, 32, 0);
        assertBitsEqual(a, b);
        float[] c = run(spec.withSeed(2), batch, 32, 0);
        assertFalse(Arrays.equals(a, c), "another seed must crop differently");
        int moved = 0;
        for (int id = 0; id < 32; id++) {
            long h1 = SampleRandom.sampleHash(1, id);
            long h2 = SampleRandom.sampleHash(2, id);
            if (SampleRandom.cropOffsetY(h1, 4) != SampleRandom.cropOffsetY(h2, 4)
                    || SampleRandom.cropOffsetX(h1, 4) != SampleRandom.cropOffsetX(h2, 4)) {
                moved++;
            }
        }
        assertTrue(moved > 20, "only " + moved + " of 32 crops changed with the seed");
    }

    @Test
    void honoursBufferPositionsAndLeavesThemAlone() {
        TransformSpec spec = TransformSpec.builder(Layout.HWC, 2, 2, 1).build();
        ByteBuffer in = ByteBuffer.allocateDirect(7);
        in.put(new byte[] {9, 9, 9, 0, 51, (byte) 255, 102});
        in.position(3);
        ByteBuffer out = ByteBuffer.allocateDirect(24).order(ByteOrder.nativeOrder());
        out.putFloat(0, -7f).putFloat(4, -7f);
        out.position(8);
        new CpuBatchTransform(spec).apply(in, 1, 0, out);
        assertEquals(3, in.position());
        assertEquals(8, out.position());
        assertEquals(-7f, out.getFloat(0));
        assertEquals(-7f, out.getFloat(4));
        assertEquals(0f, out.getFloat(8));
        assertEquals(51 * INV, out.getFloat(12));
        assertEquals(1f, out.getFloat(16));
        assertEquals(102 * INV, out.getFloat(20));
    }

    @Test
    void allocatesNothingPerSample() {
        TransformSpec spec = TransformSpec.builder(Layout.HWC, 32, 32, 3).randomCrop(4).flip(true).seed(3)
                .normalize(new float[] {0.4914f, 0.4822f, 0.4465f}, new float[] {0.247f, 0.243f, 0.261f}).build();
        CpuBatchTransform t = new CpuBatchTransform(spec);
        int n = 512;
        ByteBuffer in = ByteBuffer.allocateDirect(n * spec.inputBytesPerSample());
        in.put(randomBytes(in.capacity(), 3)).clear();
        ByteBuffer out = ByteBuffer.allocateDirect((int) (n * spec.outputBytesPerSample())).order(ByteOrder.nativeOrder());
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().getId();
        assertTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled());
        long control = threads.getThreadAllocatedBytes(tid);
        byte[] probe = new byte[4096];
        assertTrue(threads.getThreadAllocatedBytes(tid) - control >= probe.length, "allocation counter works");
        for (int warm = 0; warm < 3; warm++) {
            t.apply(in, n, warm * n, out);
        }
        long before = threads.getThreadAllocatedBytes(tid);
        t.apply(in, n, 7 * n, out);
        long allocated = threads.getThreadAllocatedBytes(tid) - before;
        // one object per sample would already be >= 16 * 512 bytes
        assertTrue(allocated < 1024, "transforming " + n + " samples allocated " + allocated + " bytes");
    }

    @Test
    void rejectsUnusableBuffersWithAReason() {
        TransformSpec spec = TransformSpec.builder(Layout.HWC, 2, 2, 3).build();
        CpuBatchTransform t = new CpuBatchTransform(spec);
        ByteBuffer in = ByteBuffer.allocateDirect(24);
        ByteBuffer out = ByteBuffer.allocateDirect(96).order(ByteOrder.nativeOrder());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.apply(in, 3, 0, out));
        assertTrue(e.getMessage().contains("need 36"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> t.apply(in, 2, 0, ByteBuffer.allocateDirect(95)
                .order(ByteOrder.nativeOrder())));
        assertTrue(e.getMessage().contains("need 96"), e.getMessage());
        ByteOrder other = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        e = assertThrows(IllegalArgumentException.class,
                () -> t.apply(in, 2, 0, ByteBuffer.allocateDirect(96).order(other)));
        assertTrue(e.getMessage().contains("native order"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> t.apply(in, 2, 0, out.asReadOnlyBuffer()));
        assertTrue(e.getMessage().contains("read-only"), e.getMessage());
    }

    // --- helpers -----------------------------------------------------------------------------

    /** Runs the CPU transform over {@code data} (n samples) from direct buffers, returns the floats. */
    static float[] run(TransformSpec spec, byte[] data, int n, long firstSampleId) {
        ByteBuffer in = ByteBuffer.allocateDirect(data.length);
        in.put(data).flip();
        ByteBuffer out = ByteBuffer.allocateDirect((int) (n * spec.outputBytesPerSample())).order(ByteOrder.nativeOrder());
        new CpuBatchTransform(spec).apply(in, n, firstSampleId, out);
        float[] f = new float[out.capacity() / 4];
        out.asFloatBuffer().get(f);
        return f;
    }

    /** The first sample id whose draws under {@code spec} are (dy, dx, flip). */
    static long sampleIdWith(TransformSpec spec, int dy, int dx, boolean flip) {
        for (long id = 0; id < 100_000; id++) {
            long h = SampleRandom.sampleHash(spec.seed(), id);
            if (SampleRandom.cropOffsetY(h, spec.pad()) == dy && SampleRandom.cropOffsetX(h, spec.pad()) == dx
                    && SampleRandom.flip(h) == flip) {
                return id;
            }
        }
        throw new AssertionError("no sample id draws " + dy + "," + dx + "," + flip);
    }

    static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (SampleRandom.mix64(seed * 1_000_003 + i) >>> 56);
        }
        return b;
    }

    private static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }

    private static float[] scaled(int... v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = v[i] * INV;
        }
        return f;
    }

    static void assertBitsEqual(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, "length");
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                throw new AssertionError("element " + i + ": expected " + expected[i] + " but was " + actual[i]);
            }
        }
    }
}
