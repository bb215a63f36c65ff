package dev.sluice.engine.device;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.nio.Buffer;
import java.nio.ByteBuffer;

/**
 * The raw address behind a direct buffer: pinned host memory, or a DJL tensor's {@code data_ptr}
 * (see {@link PyTorchInternals#memory}), which CUDA calls and kernels need as a number. Read through
 * {@code sun.misc.Unsafe} because the JDK keeps {@code Buffer.address} private.
 */
public final class NativeAddress {

    // getLong(Object, long) bound to the Unsafe instance, typed (Object, long) -> long
    private static final MethodHandle GET_LONG;
    private static final long ADDRESS_OFFSET;
    private static final String PROBLEM;

    static {
        MethodHandle getLong = null;
        long offset = -1;
        String problem = null;
        try {
            Class<?> c = Class.forName("sun.misc.Unsafe");
            Field f = c.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            Object unsafe = f.get(null);
            offset = (long) c.getMethod("objectFieldOffset", Field.class)
                    .invoke(unsafe, Buffer.class.getDeclaredField("address"));
            getLong = MethodHandles.lookup().unreflect(c.getMethod("getLong", Object.class, long.class))
                    .bindTo(unsafe).asType(MethodType.methodType(long.class, Object.class, long.class));
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            // reported when an address is first needed, never at class load
            problem = e.toString();
            getLong = null;
        }
        GET_LONG = getLong;
        ADDRESS_OFFSET = offset;
        PROBLEM = problem;
    }

    private NativeAddress() {}

    /**
     * The address of {@code buffer}'s first byte (index 0, whatever its position).
     *
     * @throws IllegalArgumentException if the buffer is not direct
     * @throws IllegalStateException if this runtime hides buffer addresses (no jdk.unsupported module)
     */
    public static long of(ByteBuffer buffer) {
        if (!buffer.isDirect()) {
            throw new IllegalArgumentException("a heap buffer has no stable native address; use a direct buffer");
        }
        if (GET_LONG == null) {
            throw new IllegalStateException("cannot read direct buffer addresses in this Java runtime (" + PROBLEM
                    + "); the engine needs the jdk.unsupported module");
        }
        try {
            return (long) GET_LONG.invokeExact((Object) buffer, ADDRESS_OFFSET);
        } catch (Throwable t) {
            throw new IllegalStateException("reading a direct buffer address failed", t);
        }
    }
}
