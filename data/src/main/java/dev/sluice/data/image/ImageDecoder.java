package dev.sluice.data.image;

import java.nio.ByteBuffer;

/**
 * Turns one encoded image (JPEG or PNG) into 8-bit pixels with three channels, height-major and
 * pixel-interleaved. One instance per thread: it reuses its buffers from call to call, so the pixels
 * it returns are valid only until the next call or {@link #close()}. Implementations:
 * {@link ImageIoDecoder} (the JDK, always there) and {@link OpenCvDecoder} (libjpeg-turbo and libpng
 * through OpenCV's JavaCPP presets, several times faster where its natives load), and decoders found
 * by name through {@link ImageDecoderProvider} (the engine's nvJPEG GPU decoder).
 */
public interface ImageDecoder extends AutoCloseable {

    /** Short name for logs and benchmarks ({@code imageio}, {@code opencv}). */
    String name();

    /**
     * Decodes {@code length} bytes of {@code buf} from absolute index {@code offset}; they must lie
     * within {@code buf}'s limit. Its position and limit are not changed.
     *
     * @return the decoded pixels, owned by this decoder
     * @throws ImageDecodeException if the bytes are not an image this decoder can read
     * @throws IndexOutOfBoundsException if the bytes reach past {@code buf}'s limit
     */
    DecodedImage decode(ByteBuffer buf, int offset, int length) throws ImageDecodeException;

    /** Decodes the bytes between {@code encoded}'s position and limit (the position is not changed). */
    default DecodedImage decode(ByteBuffer encoded) throws ImageDecodeException {
        return decode(encoded, encoded.position(), encoded.remaining());
    }

    /** Frees native buffers; the decoder must not be used afterwards. */
    @Override
    void close();
}
