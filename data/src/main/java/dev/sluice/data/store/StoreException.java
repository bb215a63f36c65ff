package dev.sluice.data.store;

import java.io.IOException;

/** A store operation failed; the message names the store, the key and what to do. */
public class StoreException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String store;
    private final String key;

    public StoreException(String store, String key, String message) {
        super(format(store, key, message));
        this.store = store;
        this.key = key;
    }

    public StoreException(String store, String key, String message, Throwable cause) {
        super(format(store, key, message), cause);
        this.store = store;
        this.key = key;
    }

    private static String format(String store, String key, String message) {
        return key == null || key.isEmpty()
                ? store + ": " + message
                : store + (store.endsWith("/") ? "" : "/") + key + ": " + message;
    }

    /** Printable store location (never holds credentials). */
    public String store() {
        return store;
    }

    /** Key of the object involved, or empty. */
    public String key() {
        return key;
    }
}
