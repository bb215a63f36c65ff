package dev.sluice.data.memory;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Direct (unpinned) host memory, released deterministically through {@code Unsafe.invokeCleaner}
 * instead of waiting for the garbage collector.
 */
public final class DirectAllocator implements HostAllocator {

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

    private final AtomicLong allocations = new AtomicLong();
    private final AtomicLong frees = new AtomicLong();
    private final AtomicLong liveBytes = new AtomicLong();

    @Override
    public ByteBuffer allocate(int bytes) {
        ByteBuffer b = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
        allocations.incrementAndGet();
        liveBytes.addAndGet(bytes);
        return b;
    }

    @Override
    public void free(ByteBuffer buffer) {
        frees.incrementAndGet();
        liveBytes.addAndGet(-buffer.capacity());
        if (INVOKE_CLEANER != null) {
            try {
                INVOKE_CLEANER.invoke(UNSAFE, buffer);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("could not release a direct buffer", e);
            }
        }
    }

    @Override
    public boolean pinned() {
        return false;
    }

    @Override
    public String describe() {
        return "direct";
    }

    /** Buffers allocated so far. */
    public long allocations() {
        return allocations.get();
    }

    /** Buffers freed so far. */
    public long frees() {
        return frees.get();
    }

    /** Bytes allocated and not yet freed. */
    public long liveBytes() {
        return liveBytes.get();
    }
}
