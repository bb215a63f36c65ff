package dev.sluice.engine.device;

/**
 * The device a command asked for cannot be used here: no CUDA driver or GPU, a GPU index out of
 * range, or a DJL build without CUDA support. The message says why and what to do instead.
 */
public final class DeviceUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** @param message why, and what to do instead */
    public DeviceUnavailableException(String message) {
        super(message);
    }

    /**
     * @param message why, and what to do instead
     * @param cause the underlying failure (e.g. JCuda's link error)
     */
    public DeviceUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
