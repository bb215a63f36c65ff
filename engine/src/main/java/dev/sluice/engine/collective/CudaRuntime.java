package dev.sluice.engine.collective;

import dev.sluice.engine.device.CudaCallException;
import dev.sluice.engine.device.DevicePointer;
import dev.sluice.engine.device.NativeAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jcuda.runtime.JCuda;
import jcuda.runtime.cudaError;
import jcuda.runtime.cudaMemoryType;
import jcuda.runtime.cudaPointerAttributes;
import jcuda.runtime.cudaStream_t;

/**
 * The few CUDA runtime calls the NCCL collective and its benchmark need (streams, device memory,
 * pointer checks), through JCuda, the engine's only CUDA binding; the NCCL bindings only ever see
 * the resulting addresses and stream handles as numbers. Failures are {@link CudaCallException}s.
 * Callers check {@link dev.sluice.engine.device.CudaProbe} first.
 */
final class CudaRuntime {

    private CudaRuntime() {
    }

    /** A JCuda stream whose raw {@code cudaStream_t} value can be handed to NCCL. */
    static final class Stream extends cudaStream_t {
        private final int device;

        private Stream(int device) {
            this.device = device;
        }

        /** The raw {@code cudaStream_t}. */
        long handle() {
            return getNativePointer();
        }

        int device() {
            return device;
        }
    }

    /**
     * The address of the region {@code position..limit} of a direct buffer, e.g. a view over CUDA
     * memory from {@code PyTorchInternals.memory}. Only reads the buffer's address field; the memory itself is
     * never touched, so this is safe for device memory. Needs no CUDA.
     *
     * @throws IllegalArgumentException if the buffer is not direct
     */
    static long address(ByteBuffer buffer) {
        return baseAddress(buffer) + buffer.position();
    }

    /** The address of index 0 of a direct buffer (see {@link #address(ByteBuffer)}). */
    static long baseAddress(ByteBuffer buffer) {
        if (!buffer.isDirect()) {
            throw new IllegalArgumentException("a device buffer must be a direct ByteBuffer over device memory,"
                    + " got a heap buffer");
        }
        return NativeAddress.of(buffer);
    }

    /**
     * A direct buffer over {@code bytes} of device memory at {@code address} (JNI
     * {@code NewDirectByteBuffer}, through JNA, which only wraps the number): what {@code PyTorchInternals.memory} gives for a CUDA tensor.
     * It carries the address and length only; reading or writing it from Java would crash the JVM.
     */
    static ByteBuffer view(long address, long bytes) {
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(bytes + " bytes do not fit one ByteBuffer (2 GiB - 1 at most)");
        }
        return new com.sun.jna.Pointer(address).getByteBuffer(0, bytes).order(ByteOrder.nativeOrder());
    }

    static void setDevice(int device) {
        CudaCallException.check(JCuda.cudaSetDevice(device), "cudaSetDevice(" + device + ")");
    }

    /**
     * A new stream on {@code device}. It is a blocking stream on purpose: work on it is ordered
     * after earlier work on the legacy default stream and before later work there, which is where
     * PyTorch runs kernels unless told otherwise, so a collective on gradients waits for the
     * backward pass without an explicit event.
     */
    static Stream createStream(int device) {
        setDevice(device);
        Stream stream = new Stream(device);
        CudaCallException.check(JCuda.cudaStreamCreate(stream), "cudaStreamCreate on cuda:" + device);
        return stream;
    }

    static void destroyStream(Stream stream) {
        setDevice(stream.device());
        CudaCallException.check(JCuda.cudaStreamDestroy(stream), "cudaStreamDestroy on cuda:" + stream.device());
    }

    /**
     * Whether all work enqueued on {@code stream} has finished ({@code cudaStreamQuery}).
     *
     * @throws CudaCallException if the stream reports an error
     */
    static boolean isDone(Stream stream) {
        int rc = JCuda.cudaStreamQuery(stream);
        if (rc == cudaError.cudaErrorNotReady) {
            return false;
        }
        CudaCallException.check(rc, "cudaStreamQuery(stream 0x" + Long.toHexString(stream.handle()) + ") on cuda:"
                + stream.device());
        return true;
    }

    static long malloc(int device, long bytes) {
        setDevice(device);
        DevicePointer p = new DevicePointer();
        CudaCallException.check(JCuda.cudaMalloc(p, Math.max(1, bytes)), "cudaMalloc(" + bytes + " bytes) on cuda:"
                + device);
        return p.address();
    }

    static void free(int device, long address) {
        setDevice(device);
        CudaCallException.check(JCuda.cudaFree(new DevicePointer(address)), "cudaFree on cuda:" + device);
    }

    static void memset(int device, long address, int value, long bytes) {
        setDevice(device);
        CudaCallException.check(JCuda.cudaMemset(new DevicePointer(address), value, bytes), "cudaMemset on cuda:"
                + device);
        CudaCallException.check(JCuda.cudaDeviceSynchronize(), "cudaDeviceSynchronize after cudaMemset on cuda:"
                + device);
    }

    /**
     * Checks that {@code address} is device (or managed) memory of {@code device}, so a host buffer
     * handed to NCCL by mistake fails here with a message instead of crashing the process in a kernel.
     *
     * @throws IllegalArgumentException naming what the address is instead
     */
    static void requireDeviceMemory(long address, int device, String what) {
        cudaPointerAttributes attributes = new cudaPointerAttributes();
        int rc = JCuda.cudaPointerGetAttributes(attributes, new DevicePointer(address));
        if (rc != cudaError.cudaSuccess) {
            JCuda.cudaGetLastError(); // clear the error state of this thread
            throw new IllegalArgumentException(what + ": 0x" + Long.toHexString(address)
                    + " is not memory CUDA knows (" + cudaError.stringFor(rc)
                    + "); pass a view over device memory, e.g. PyTorchInternals.memory(a CUDA tensor)");
        }
        int type = attributes.type;
        if (type != cudaMemoryType.cudaMemoryTypeDevice && type != cudaMemoryType.cudaMemoryTypeManaged) {
            String kind = type == cudaMemoryType.cudaMemoryTypeHost ? "page-locked host memory"
                    : "pageable host memory";
            throw new IllegalArgumentException(what + ": 0x" + Long.toHexString(address) + " is " + kind
                    + ", not device memory; NCCL needs a view over CUDA memory on device " + device);
        }
        if (type == cudaMemoryType.cudaMemoryTypeDevice && attributes.device != device) {
            throw new IllegalArgumentException(what + ": 0x" + Long.toHexString(address) + " is on device "
                    + attributes.device + " but this rank's communicator uses device " + device);
        }
    }
}
