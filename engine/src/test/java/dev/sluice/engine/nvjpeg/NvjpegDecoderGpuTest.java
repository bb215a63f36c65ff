package dev.sluice.engine.nvjpeg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.data.image.DecodedImage;
import dev.sluice.data.image.ImageDecodeException;
import dev.sluice.data.image.ImageDecoder;
import dev.sluice.data.image.ImageDecoders;
import dev.sluice.engine.device.GpuAssumptions;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Locale;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * nvJPEG on a real GPU against JPEGs the JDK's encoder wrote: the pixels must be close to what was
 * drawn, and close to the CPU decoder's ({@code auto}: OpenCV/libjpeg-turbo where its natives load,
 * the JDK's ImageIO in the GPU kit); the two differ only by IDCT rounding and chroma upsampling, so
 * the drawings are smooth. PNGs and other images nvJPEG does not read go to the CPU decoder. Skipped
 * without a GPU or libnvjpeg (failed instead under {@code -Dsluice.requireGpu=true}). Needs only the
 * engine and data classes, JCuda, JNA and JUnit, so it runs from the GPU kit.
 */
class NvjpegDecoderGpuTest {

    private static NvjpegDecoder gpu;
    private static ImageDecoder cpu;

    @BeforeAll
    static void open() {
        GpuAssumptions.gpus(1);
        GpuAssumptions.assume(Nvjpeg.unavailableReason() == null, Nvjpeg::unavailableReason);
        gpu = new NvjpegDecoder(0, ImageDecoders.factory("auto"));
        cpu = ImageDecoders.factory("auto").get();
        System.out.println("nvjpeg: " + Nvjpeg.describe() + "; CPU reference: " + cpu.name());
    }

    @AfterAll
    static void close() {
        if (gpu != null) {
            gpu.close();
        }
        if (cpu != null) {
            cpu.close();
        }
    }

    /** Smooth RGB: gradients and slow waves, where decoders can only differ by rounding. */
    static byte[] drawn(int w, int h) {
        byte[] px = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int o = 3 * (y * w + x);
                px[o] = (byte) (x * 255 / Math.max(1, w - 1));
                px[o + 1] = (byte) (y * 255 / Math.max(1, h - 1));
                px[o + 2] = (byte) (128 + 100 * Math.sin((x + 2 * y) / 23.0));
            }
        }
        return px;
    }

    static byte[] jpeg(byte[] rgb, int w, int h, int type, float quality) throws Exception {
        BufferedImage img = new BufferedImage(w, h, type);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int o = 3 * (y * w + x);
                img.setRGB(x, y, (rgb[o] & 0xFF) << 16 | (rgb[o + 1] & 0xFF) << 8 | (rgb[o + 2] & 0xFF));
            }
        }
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            writer.setOutput(out);
            ImageWriteParam p = writer.getDefaultWriteParam();
            p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            p.setCompressionQuality(quality);
            writer.write(null, new IIOImage(img, null, null), p);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    /** {mean, max} absolute difference per byte. */
    static double[] diff(byte[] a, byte[] b) {
        assertEquals(a.length, b.length, "sizes differ");
        long sum = 0;
        int max = 0;
        for (int i = 0; i < a.length; i++) {
            int d = Math.abs((a[i] & 0xFF) - (b[i] & 0xFF));
            sum += d;
            max = Math.max(max, d);
        }
        return new double[] {(double) sum / a.length, max};
    }

    static String fmt(double[] d) {
        return String.format(Locale.ROOT, "mean %.3f, max %.0f", d[0], d[1]);
    }

    @Test
    void colourJpegsDecodeCloseToTheDrawingAndToTheCpuDecoder() throws Exception {
        // odd sizes (not multiples of the 16-pixel MCU), small to large, and back to small after the
        // buffers grew
        int[][] sizes = {{64, 48}, {333, 217}, {17, 9}, {1280, 853}, {97, 131}};
        for (int[] s : sizes) {
            int w = s[0];
            int h = s[1];
            byte[] drawn = drawn(w, h);
            byte[] bytes = jpeg(drawn, w, h, BufferedImage.TYPE_INT_RGB, 0.95f);
            DecodedImage g = gpu.decode(ByteBuffer.wrap(bytes));
            assertEquals(w, g.width(), "width of " + w + "x" + h);
            assertEquals(h, g.height(), "height of " + w + "x" + h);
            byte[] onGpu = g.toRgb();
            byte[] onCpu = cpu.decode(ByteBuffer.wrap(bytes)).toRgb();
            double[] vsCpu = diff(onGpu, onCpu);
            double[] vsDrawn = diff(onGpu, drawn);
            double[] cpuVsDrawn = diff(onCpu, drawn);
            System.out.printf(Locale.ROOT, "%dx%d: nvjpeg vs %s %s; nvjpeg vs drawn %s; %s vs drawn %s%n", w, h,
                    cpu.name(), fmt(vsCpu), fmt(vsDrawn), cpu.name(), fmt(cpuVsDrawn));
            assertTrue(vsCpu[0] <= 1.0 && vsCpu[1] <= 16, w + "x" + h + " nvjpeg vs " + cpu.name() + ": " + fmt(vsCpu));
            assertTrue(vsDrawn[0] <= cpuVsDrawn[0] + 1.0, w + "x" + h + " nvjpeg vs drawn " + fmt(vsDrawn)
                    + " is further than the CPU decoder's " + fmt(cpuVsDrawn));
        }
        assertEquals(0, gpu.cpuFallbacks(), "every colour JPEG should decode on the GPU");
    }

    @Test
    void greyJpegsDecodeToThreeEqualChannels() throws Exception {
        int w = 101;
        int h = 77;
        byte[] drawn = drawn(w, h);
        for (int i = 0; i < w * h; i++) { // grey drawing: the green channel everywhere
            drawn[3 * i] = drawn[3 * i + 1];
            drawn[3 * i + 2] = drawn[3 * i + 1];
        }
        byte[] bytes = jpeg(drawn, w, h, BufferedImage.TYPE_BYTE_GRAY, 0.95f);
        long before = gpu.cpuFallbacks();
        byte[] onGpu = gpu.decode(ByteBuffer.wrap(bytes)).toRgb();
        byte[] onCpu = cpu.decode(ByteBuffer.wrap(bytes)).toRgb();
        for (int i = 0; i < w * h; i++) {
            assertEquals(onGpu[3 * i], onGpu[3 * i + 1], "pixel " + i + " R != G");
            assertEquals(onGpu[3 * i], onGpu[3 * i + 2], "pixel " + i + " R != B");
        }
        double[] vsCpu = diff(onGpu, onCpu);
        System.out.println("grey " + w + "x" + h + ": nvjpeg vs " + cpu.name() + " " + fmt(vsCpu) + ", on "
                + (gpu.cpuFallbacks() > before ? "the CPU fallback" : "the GPU"));
        assertTrue(vsCpu[0] <= 1.0 && vsCpu[1] <= 8, "grey nvjpeg vs " + cpu.name() + ": " + fmt(vsCpu));
    }

    @Test
    void pngsGoToTheCpuDecoderAndComeBackExact() throws Exception {
        int w = 45;
        int h = 31;
        byte[] drawn = drawn(w, h);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int o = 3 * (y * w + x);
                img.setRGB(x, y, (drawn[o] & 0xFF) << 16 | (drawn[o + 1] & 0xFF) << 8 | (drawn[o + 2] & 0xFF));
            }
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(img, "png", png));
        long before = gpu.cpuFallbacks();
        assertArrayEquals(drawn, gpu.decode(ByteBuffer.wrap(png.toByteArray())).toRgb());
        assertEquals(before + 1, gpu.cpuFallbacks());
    }

    @Test
    void brokenJpegsFailAsBadImagesAndTheDecoderKeepsWorking() throws Exception {
        byte[] good = jpeg(drawn(80, 60), 80, 60, BufferedImage.TYPE_INT_RGB, 0.9f);
        byte[] garbage = Arrays.copyOf(good, good.length);
        Arrays.fill(garbage, 2, garbage.length, (byte) 0x5A); // SOI marker kept, the rest destroyed
        assertThrows(ImageDecodeException.class, () -> gpu.decode(ByteBuffer.wrap(garbage)));
        byte[] truncated = Arrays.copyOf(good, 20);
        assertThrows(ImageDecodeException.class, () -> gpu.decode(ByteBuffer.wrap(truncated)));
        DecodedImage after = gpu.decode(ByteBuffer.wrap(good));
        assertEquals(80, after.width());
        assertTrue(diff(after.toRgb(), cpu.decode(ByteBuffer.wrap(good)).toRgb())[0] <= 1.0);
    }

    @Test
    void theLoaderReachesItByName() throws Exception {
        assertEquals("nvjpeg", ImageDecoders.resolve("nvjpeg"));
        byte[] bytes = jpeg(drawn(32, 24), 32, 24, BufferedImage.TYPE_INT_RGB, 0.9f);
        // the bytes in the middle of a larger direct buffer, as the loader's staged shard bytes are
        ByteBuffer staged = ByteBuffer.allocateDirect(bytes.length + 100);
        staged.position(37);
        staged.put(bytes);
        try (ImageDecoder d = ImageDecoders.factory("nvjpeg").get()) {
            assertEquals("nvjpeg", d.name());
            DecodedImage out = d.decode(staged, 37, bytes.length);
            assertEquals(32, out.width());
            assertEquals(24, out.height());
            assertTrue(diff(out.toRgb(), cpu.decode(ByteBuffer.wrap(bytes)).toRgb())[0] <= 1.0);
        }
    }
}
