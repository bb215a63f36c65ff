package dev.sluice.data.loader;

import java.io.IOException;

/** The loader's background work failed in a way that is not a store or format error. */
public final class LoaderException extends IOException {
    private static final long serialVersionUID = 1L;

    public LoaderException(String message, Throwable cause) {
        super(message, cause);
    }
}
