package dev.sluice.data.image;

import java.nio.ByteBuffer;
import org.bytedeco.javacpp.BytePointer;

/**
 * A native view of the last direct buffer it was given. Callers reuse their buffers (a decoder's
 * pixels, a batch's memory, the loader's staging), so a view is made once per buffer, not per call.
 * The buffer object is kept with its view: a view is only read through when the same object comes
 * again, never after that buffer was freed and another allocated at its address.
 */
final class NativeView implements AutoCloseable {

    private ByteBuffer wrapped;
    private BytePointer view;

    /** A view of direct buffer {@code buf} positioned at byte {@code offset} of it. */
    BytePointer at(ByteBuffer buf, long offset) {
        if (buf != wrapped) {
            close();
            view = new BytePointer(buf).capacity(buf.capacity()).limit(buf.capacity());
            wrapped = buf;
        }
        return view.position(offset);
    }

    @Override
    public void close() {
        if (view != null) {
            view.close();
            view = null;
            wrapped = null;
        }
    }
}
