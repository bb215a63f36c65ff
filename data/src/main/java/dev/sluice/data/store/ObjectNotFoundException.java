package dev.sluice.data.store;

/** The object does not exist in the store. */
public final class ObjectNotFoundException extends StoreException {
    private static final long serialVersionUID = 1L;

    public ObjectNotFoundException(String store, String key) {
        super(store, key, "no such object; check the dataset location and that ingest finished");
    }
}
