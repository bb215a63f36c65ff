package dev.sluice.engine.nvjpeg;

/**
 * An nvJPEG call failed for a reason that is not the image (allocation, execution, internal error):
 * the decode stage fails the run with it rather than skipping the sample.
 */
public final class NvjpegException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;

    NvjpegException(String call, int status) {
        super(call + " failed with " + NvjpegStatus.name(status)
                + (status == NvjpegStatus.ALLOCATOR_FAILURE ? ": the GPU is out of memory; use fewer decode threads or --decoder opencv" : ""));
        this.status = status;
    }

    /** The {@code nvjpegStatus_t} code. */
    public int status() {
        return status;
    }

    /** Throws unless {@code status} is success. */
    static void check(int status, String call) {
        if (status != NvjpegStatus.SUCCESS) {
            throw new NvjpegException(call, status);
        }
    }
}
