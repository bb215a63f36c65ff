package dev.sluice.engine.device;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The memory behind a DJL PyTorch tensor, as a direct buffer over {@code data_ptr()}
 * ({@code PyTorchLibrary.torchDirectByteBuffer}, which DJL keeps package-private). For a CPU
 * tensor the buffer may be read and written; for a CUDA tensor it only carries the device address
 * and length and must never be dereferenced in Java.
 */
public final class TensorMemory {

    private static final MethodHandle DIRECT_BUFFER;
    private static final MethodHandle IS_CONTIGUOUS;
    private static final Object LIB;

    static {
        try {
            Class<?> lib = Class.forName("ai.djl.pytorch.jni.PyTorchLibrary");
            Field f = lib.getDeclaredField("LIB");
            f.setAccessible(true);
            LIB = f.get(null);
            var m = lib.getDeclaredMethod("torchDirectByteBuffer", long.class);
            m.setAccessible(true);
            DIRECT_BUFFER = MethodHandles.lookup().unreflect(m)
                    .asType(MethodType.methodType(ByteBuffer.class, Object.class, long.class));
            var c = lib.getDeclaredMethod("torchIsContiguous", long.class);
            c.setAccessible(true);
            IS_CONTIGUOUS = MethodHandles.lookup().unreflect(c)
                    .asType(MethodType.methodType(boolean.class, Object.class, long.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(new IllegalStateException(
                    "this DJL PyTorch engine lacks PyTorchLibrary.torchDirectByteBuffer; Sluice needs DJL 0.36.0", e));
        }
    }

    private TensorMemory() {}

    /**
     * A native-order buffer over the tensor's memory (position 0, limit = its byte size).
     *
     * @throws IllegalArgumentException if the tensor is not contiguous
     */
    public static ByteBuffer of(NDArray array) {
        long handle = ((PtNDArray) array).getHandle();
        try {
            if (!(boolean) IS_CONTIGUOUS.invokeExact(LIB, handle)) {
                throw new IllegalArgumentException("tensor " + array.getShape() + " is not contiguous");
            }
            ByteBuffer b = (ByteBuffer) DIRECT_BUFFER.invokeExact(LIB, handle);
            return b.order(ByteOrder.nativeOrder());
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("could not map tensor memory", t);
        }
    }
}
