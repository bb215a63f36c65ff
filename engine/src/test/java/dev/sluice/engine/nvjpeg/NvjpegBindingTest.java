package dev.sluice.engine.nvjpeg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sluice.data.image.DecodedImage;
import dev.sluice.data.image.ImageDecoder;
import dev.sluice.data.image.ImageDecoders;
import dev.sluice.engine.device.DeviceUnavailableException;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * The nvJPEG decoder on a host without nvJPEG (any CPU-only build): it is registered by name, asking
 * for it fails with a message that names the library and how to get it, the default decoder stays
 * on the CPU, and the binding's output descriptor has nvjpeg.h's layout. Runs everywhere; the
 * availability tests skip on a host where nvJPEG works ({@link NvjpegDecoderGpuTest} covers it there).
 */
class NvjpegBindingTest {

    @Test
    void nvjpegIsADecoderNameOnTheEngineClassPath() {
        assertTrue(ImageDecoders.names().contains("nvjpeg"), "names: " + ImageDecoders.names());
    }

    @Test
    void askingForNvjpegWithoutTheLibraryNamesItAndHowToGetIt() {
        assumeTrue(Nvjpeg.unavailableReason() != null, "nvJPEG is usable here: " + Nvjpeg.describe());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageDecoders.resolve("nvjpeg"));
        String m = e.getMessage();
        for (String needed : new String[] {"decoder 'nvjpeg' cannot be used here", "libnvjpeg.so.12",
            "pip install nvidia-nvjpeg-cu12", "site-packages/nvidia/nvjpeg/lib", "LD_LIBRARY_PATH", "SLUICE_NVJPEG_LIB",
            "CUDA GPU (JCuda probe)", "auto (the default), opencv or imageio"}) {
            assertTrue(m.contains(needed), "message lacks '" + needed + "':\n" + m);
        }
        assertThrows(IllegalArgumentException.class, () -> ImageDecoders.factory("NVJPEG"));
        assertNull(Nvjpeg.describe());
        // constructing the decoder directly fails the same way, before any CUDA call
        DeviceUnavailableException direct = assertThrows(DeviceUnavailableException.class,
                () -> new NvjpegDecoder(0, ImageDecoders.factory("imageio")));
        assertEquals(Nvjpeg.unavailableReason(), direct.getMessage());
    }

    @Test
    void theDefaultDecoderStaysOnTheCpuAndDecodes() throws Exception {
        String chosen = ImageDecoders.resolve("auto");
        assertTrue(Set.of("opencv", "imageio").contains(chosen), "auto chose " + chosen);
        int w = 40;
        int h = 30;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, (x * 6) << 16 | (y * 8) << 8 | 128);
            }
        }
        ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(img, "jpeg", jpeg));
        try (ImageDecoder d = ImageDecoders.factory("auto").get()) {
            assertEquals(chosen, d.name());
            DecodedImage out = d.decode(ByteBuffer.wrap(jpeg.toByteArray()));
            assertEquals(w, out.width());
            assertEquals(h, out.height());
            byte[] rgb = out.toRgb();
            // the centre pixel is near what was drawn (JPEG is lossy): (20*6, 15*8, 128)
            int o = 3 * (15 * w + 20);
            assertTrue(Math.abs((rgb[o] & 0xFF) - 120) <= 8 && Math.abs((rgb[o + 1] & 0xFF) - 120) <= 8
                    && Math.abs((rgb[o + 2] & 0xFF) - 128) <= 8, "centre pixel far from the drawn (120,120,128)");
        }
    }

    @Test
    void theOutputDescriptorHasNvjpegHsLayout() {
        // nvjpeg.h: unsigned char *channel[4]; size_t pitch[4]  ->  4 x 8 bytes, then 4 x 8 bytes
        NvjpegImage image = new NvjpegImage();
        assertEquals(64, image.size());
        assertEquals(32, image.pitchOffset());
        image.interleaved(0x1234_5678_9AL, 999);
        image.write();
        assertEquals(0x1234_5678_9AL, image.getPointer().getLong(0));
        for (int c = 1; c < 4; c++) {
            assertEquals(0, image.getPointer().getLong(8L * c), "channel " + c);
            assertEquals(0, image.getPointer().getLong(32 + 8L * c), "pitch " + c);
        }
        assertEquals(999, image.getPointer().getLong(32));
    }

    @Test
    void statusNamesFollowNvjpegH() {
        assertEquals("NVJPEG_STATUS_SUCCESS", NvjpegStatus.name(0));
        assertEquals("NVJPEG_STATUS_BAD_JPEG", NvjpegStatus.name(3));
        assertEquals("NVJPEG_STATUS_ALLOCATOR_FAILURE", NvjpegStatus.name(5));
        assertEquals("NVJPEG_STATUS_INCOMPLETE_BITSTREAM", NvjpegStatus.name(10));
        assertEquals("nvjpegStatus_t 42", NvjpegStatus.name(42));
    }
}
