package dev.sluice.data.memory;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Direct (unpinned) host memory, released deterministically through {@code Unsafe.invokeCleaner}
 * instead of waiting for the garbage collector.
 */
public final class DirectAllocator extends CountingAllocator {

    private static final Object UNSAFE;
    private static final Method INVOKE_CLEANER;

    static {
        Object unsafe = null;
        Method cleaner = null;
        try {
            Class<?> c = Class.forName("sun.misc.Unsafe");
            Field f = c.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            unsafe = f.get(null);
            cleaner = c.getMethod("invokeCleaner", ByteBuffer.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // jdk.unsupported missing (custom runtime): memory is then freed by the GC instead
            unsafe = null;
            cleaner = null;
        }
        UNSAFE = unsafe;
        INVOKE_CLEANER = cleaner;
    }

    @Override
    protected ByteBuffer reserve(int bytes) {
        return ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
    }

    @Override
    protected long release(ByteBuffer buffer) {
        long bytes = buffer.capacity();
        if (INVOKE_CLEANER != null) {
            try {
                INVOKE_CLEANER.invoke(UNSAFE, buffer);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("could not release a direct buffer", e);
            }
        }
        return bytes;
    }

    @Override
    public boolean pinned() {
        return false;
    }

    @Override
    public String describe() {
        return "direct";
    }
}
