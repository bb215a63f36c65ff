package dev.sluice.data.image;

import java.nio.ByteBuffer;
import org.bytedeco.javacpp.BytePointer;

/**
 * Native views of the last few direct buffers it was given. Callers reuse their buffers (a
 * decoder's pixels, a batch's memory, a loaded shard, a batch's staging), so a view is made once per
 * buffer object, not per call. Each buffer object is kept with its view: a view is only read through
 * when the same object comes again, never after that buffer was freed and another allocated at its
 * address.
 */
final class NativeView implements AutoCloseable {

    private final ByteBuffer[] wrapped;
    private final BytePointer[] views;
    private int next;

    /** Views of the last buffer only. */
    NativeView() {
        this(1);
    }

    /**
     * @param buffers how many buffers' views to keep (the loader's decoders read from the shards the
     *     shuffle keeps open in turn, and from staging)
     */
    NativeView(int buffers) {
        wrapped = new ByteBuffer[buffers];
        views = new BytePointer[buffers];
    }

    /** A view of direct buffer {@code buf} positioned at byte {@code offset} of it. */
    BytePointer at(ByteBuffer buf, long offset) {
        for (int i = 0; i < wrapped.length; i++) {
            if (wrapped[i] == buf) {
                return views[i].position(offset);
            }
        }
        int i = next;
        next = (next + 1) % wrapped.length;
        if (views[i] != null) {
            views[i].close();
        }
        views[i] = new BytePointer(buf).capacity(buf.capacity()).limit(buf.capacity());
        wrapped[i] = buf;
        return views[i].position(offset);
    }

    @Override
    public void close() {
        for (int i = 0; i < views.length; i++) {
            if (views[i] != null) {
                views[i].close();
                views[i] = null;
                wrapped[i] = null;
            }
        }
    }
}
