package dev.sluice.data.format;

/** manifest.json is missing, not JSON, or lacks required entries. */
public final class ManifestException extends FormatException {
    private static final long serialVersionUID = 1L;

    public ManifestException(String message) {
        super(message);
    }

    public ManifestException(String message, Throwable cause) {
        super(message, cause);
    }
}
