package dev.sluice.data.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Header checks against images the JDK's ImageIO wrote, whole and damaged. */
class EncodingsTest {

    @Test
    void imagesTheJdkWroteAreRecognised() throws Exception {
        for (String f : new String[] {"jpeg", "png", "gif", "bmp"}) {
            assertEquals(f, Encodings.checkImage(TestImages.encode(f, 33, 17, 3), "x." + f));
        }
    }

    @Test
    void damagedHeadersAreRefused() {
        byte[] jpeg = TestImages.encode("jpeg", 33, 17, 3);
        byte[] png = TestImages.encode("png", 33, 17, 3);
        // cut before the JPEG frame header (ImageIO writes JFIF APP0 and the quantisation tables first)
        assertThrows(UnreadableInputException.class, () -> Encodings.checkImage(Arrays.copyOf(jpeg, 60), "a.jpg"));
        byte[] badLen = jpeg.clone();
        badLen[4] = (byte) 0xFF; // APP0 length runs past the end
        assertThrows(UnreadableInputException.class, () -> Encodings.checkImage(badLen, "b.jpg"));
        byte[] badCrc = png.clone();
        badCrc[18] ^= 1; // width changed, CRC no longer matches
        assertThrows(UnreadableInputException.class, () -> Encodings.checkImage(badCrc, "c.png"));
        assertThrows(UnreadableInputException.class, () -> Encodings.checkImage(Arrays.copyOf(png, 30), "d.png"));
        assertThrows(UnreadableInputException.class, () -> Encodings.checkImage("hello".getBytes(), "e.jpg"));
    }
}
