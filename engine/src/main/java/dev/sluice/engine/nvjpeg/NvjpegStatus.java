package dev.sluice.engine.nvjpeg;

/** nvJPEG's {@code nvjpegStatus_t} codes, as in {@code nvjpeg.h}, and what the decoder does with each. */
final class NvjpegStatus {

    static final int SUCCESS = 0;
    static final int BAD_JPEG = 3;
    static final int ALLOCATOR_FAILURE = 5;
    static final int JPEG_NOT_SUPPORTED = 4;
    static final int IMPLEMENTATION_NOT_SUPPORTED = 9;
    static final int INCOMPLETE_BITSTREAM = 10;

    private static final String[] NAMES = {"NVJPEG_STATUS_SUCCESS", "NVJPEG_STATUS_NOT_INITIALIZED",
        "NVJPEG_STATUS_INVALID_PARAMETER", "NVJPEG_STATUS_BAD_JPEG", "NVJPEG_STATUS_JPEG_NOT_SUPPORTED",
        "NVJPEG_STATUS_ALLOCATOR_FAILURE", "NVJPEG_STATUS_EXECUTION_FAILED", "NVJPEG_STATUS_ARCH_MISMATCH",
        "NVJPEG_STATUS_INTERNAL_ERROR", "NVJPEG_STATUS_IMPLEMENTATION_NOT_SUPPORTED",
        "NVJPEG_STATUS_INCOMPLETE_BITSTREAM"};

    private NvjpegStatus() {
    }

    /** The code's name in {@code nvjpeg.h}, or {@code nvjpegStatus_t N} for a code newer than these bindings. */
    static String name(int code) {
        return code >= 0 && code < NAMES.length ? NAMES[code] : "nvjpegStatus_t " + code;
    }

    /**
     * The bytes are not a JPEG nvJPEG can read: the image is bad, not the GPU. Not
     * {@code INVALID_PARAMETER}: that would be a binding error, which must fail the run rather than
     * skip every image as bad.
     */
    static boolean badImage(int code) {
        return code == BAD_JPEG || code == INCOMPLETE_BITSTREAM;
    }

    /** A valid JPEG that nvJPEG does not handle (e.g. CMYK, some progressive or lossless streams). */
    static boolean unsupported(int code) {
        return code == JPEG_NOT_SUPPORTED || code == IMPLEMENTATION_NOT_SUPPORTED;
    }
}
