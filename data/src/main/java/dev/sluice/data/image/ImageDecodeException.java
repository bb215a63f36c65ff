package dev.sluice.data.image;

import java.io.IOException;

/** Bytes that a decoder could not turn into an image (corrupt, truncated, or not JPEG/PNG). */
public final class ImageDecodeException extends IOException {
    private static final long serialVersionUID = 1L;

    public ImageDecodeException(String message) {
        super(message);
    }

    public ImageDecodeException(String message, Throwable cause) {
        super(message, cause);
    }
}
