package dev.sluice.engine.device;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The one place where Sluice reaches past DJL's public API into its PyTorch engine. Everything else
 * goes through DJL's {@code NDArray}/{@code Block} API.
 *
 * <p>Why it exists: DJL's {@code GradientCollector} allows one collector per process, but every
 * replica thread needs its own backward pass at the same time, so autograd is driven through
 * {@code JniUtils} (grad mode, backward, zero-grad) per thread; the intra-op thread count is a
 * process-wide PyTorch setting DJL does not expose; and the memory behind a tensor (for the
 * collectives and the device feeders) comes from {@code PyTorchLibrary.torchDirectByteBuffer},
 * which DJL keeps package-private. When DJL upgrades, only this class has to be checked (it is
 * written against DJL 0.36.0).
 */
public final class PyTorchInternals {

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

    private PyTorchInternals() {}

    /**
     * A native-order buffer over the tensor's memory (position 0, limit = its byte size). For a CPU
     * tensor it may be read and written; for a CUDA tensor it only carries the device address and
     * length and must never be dereferenced in Java.
     *
     * @throws IllegalArgumentException if the tensor is not contiguous
     */
    public static ByteBuffer memory(NDArray array) {
        long handle = pt(array).getHandle();
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

    /** Turns autograd recording on or off for the calling thread. */
    public static void setGradMode(boolean on) {
        JniUtils.setGradMode(on);
    }

    /** Whether autograd records on the calling thread. */
    public static boolean gradMode() {
        return JniUtils.isGradMode();
    }

    /** Back-propagates {@code loss} (seeded with {@code seed}, same shape), leaving gradients on the leaves. */
    public static void backward(NDArray loss, NDArray seed) {
        JniUtils.backward(pt(loss), pt(seed), false, false);
    }

    /** Sets the gradient of a parameter to zero (also a NaN one). */
    public static void zeroGrad(NDArray parameter) {
        JniUtils.zeroGrad(pt(parameter));
    }

    /** PyTorch's intra-op thread pool size; process-wide. */
    public static void setIntraOpThreads(int n) {
        JniUtils.setNumThreads(n);
    }

    private static PtNDArray pt(NDArray a) {
        if (a instanceof PtNDArray p) {
            return p;
        }
        throw new IllegalArgumentException("not a PyTorch tensor: " + a.getClass().getName()
                + "; Sluice trains with DJL's PyTorch engine only");
    }
}
