package dev.sluice.data.image;

import dev.sluice.data.transform.CropBox;
import dev.sluice.data.transform.Flip;
import dev.sluice.data.transform.Resize;
import java.nio.ByteBuffer;

/**
 * Crops a box of decoded pixels, resizes it bilinearly to the output size, maybe mirrors it, and
 * writes it as RGB into a batch buffer. Two implementations: {@link #JAVA} ({@link Resize} and
 * {@link Flip}, everywhere) and {@link OpenCvResampler} (OpenCV's SIMD resize, used with the OpenCV
 * decoder). They agree to within one grey level per channel, not byte for byte, so a run's bytes
 * depend on the decoder it chose, as they already do through the decoders' own rounding.
 */
public interface Resampler {

    /** Plain Java, pixel by pixel: the reference, hand-checked in the tests. */
    Resampler JAVA = (img, box, mirror, dst, dstOffset, outH, outW) -> {
        Resize.bilinear(img.pixels(), img.width(), img.bgr(), box, dst, dstOffset, outH, outW);
        if (mirror) {
            Flip.horizontal(dst, dstOffset, outH, outW);
        }
    };

    /**
     * Writes {@code outH x outW x 3} RGB bytes at {@code dstOffset} of {@code dst}.
     *
     * @param box the region of {@code img} to keep
     * @param mirror mirror the output left to right
     */
    void resample(DecodedImage img, CropBox box, boolean mirror, ByteBuffer dst, int dstOffset, int outH, int outW);

    /**
     * The resampler for a thread that decodes with {@code decoder} (a resolved name, see
     * {@link ImageDecoders#resolve}): with {@code opencv}, an {@link OpenCvResampler} of its own (the plain
     * Java one costs about twice the decode, docs/BENCHMARKS.md), to be closed when the thread is done;
     * otherwise {@link #JAVA}.
     */
    static Resampler forDecoder(String decoder, int outH, int outW) {
        return decoder.equals("opencv") ? new OpenCvResampler(outH, outW) : JAVA;
    }
}
