package dev.sluice.data.ingest;

import dev.sluice.data.store.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;

/** Reads one object of a store sequentially, in ranged reads of a fixed chunk size. */
final class StoreInputStream extends InputStream {

    private final ObjectStore store;
    private final String key;
    private final long size;
    private final ByteBuffer chunk;
    private long next;

    StoreInputStream(ObjectStore store, String key, int chunkBytes) throws IOException {
        this.store = store;
        this.key = key;
        this.size = store.size(key);
        this.chunk = ByteBuffer.allocate(chunkBytes);
        chunk.limit(0);
    }

    private boolean fill() throws IOException {
        if (chunk.hasRemaining()) {
            return true;
        }
        if (next >= size) {
            return false;
        }
        chunk.clear().limit((int) Math.min(chunk.capacity(), size - next));
        store.read(key, next, chunk);
        next += chunk.position();
        chunk.flip();
        return true;
    }

    @Override
    public int read() throws IOException {
        return fill() ? chunk.get() & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (!fill()) {
            return -1;
        }
        int n = Math.min(len, chunk.remaining());
        chunk.get(b, off, n);
        return n;
    }
}
