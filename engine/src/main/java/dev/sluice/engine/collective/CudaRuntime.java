package dev.sluice.engine.collective;

import dev.sluice.nccl.CudaException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.cudart.cudaPointerAttributes;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;

/**
 * The few CUDA runtime calls the NCCL collective and its benchmark need (streams, device memory,
 * pointer checks), through JavaCPP's cudart: the same {@code libcudart.so.13} NCCL's wrappers are
 * bound to. Every method except {@link #address(ByteBuffer)} calls native CUDA code and may only be
 * used after {@link dev.sluice.nccl.Nccl#load} succeeded in this JVM.
 */
final class CudaRuntime {

    private CudaRuntime() {
    }

    /** A JavaCPP pointer at a raw address that owns nothing (nothing is freed when it is collected). */
    private static final class Raw extends BytePointer {
        Raw(long address, long bytes) {
            this.address = address;
            this.capacity = bytes;
            this.limit = bytes;
        }
    }

    /** A {@code cudaStream_t} from a raw handle. */
    private static final class RawStream extends CUstream_st {
        RawStream(long handle) {
            this.address = handle;
        }
    }

    /**
     * The address of the region {@code position..limit} of a direct buffer, e.g. a view over CUDA
     * memory from {@code TensorMemory}. Only reads the buffer's address field through JNI
     * ({@code GetDirectBufferAddress}); the memory itself is never touched, so this is safe for
     * device memory. Needs JavaCPP's core library but no CUDA.
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
        // BytePointer(Buffer) keeps the buffer's base address (its position goes into the pointer's
        // position); it allocates no memory and registers no deallocator for a direct buffer.
        return new BytePointer(buffer).address();
    }

    /**
     * A direct buffer over {@code bytes} of device memory at {@code address} (JNI
     * {@code NewDirectByteBuffer}): what {@code TensorMemory} gives for a CUDA tensor. It carries
     * the address and length only; reading or writing it from Java would crash the JVM.
     */
    static ByteBuffer view(long address, long bytes) {
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(bytes + " bytes do not fit one ByteBuffer (2 GiB - 1 at most)");
        }
        return new Raw(address, bytes).asByteBuffer().order(ByteOrder.nativeOrder());
    }

    static void check(int error, String operation, int device, String detail) {
        if (error != cudart.cudaSuccess) {
            throw new CudaException(error, string(cudart.cudaGetErrorName(error)),
                    string(cudart.cudaGetErrorString(error)), operation, device, detail);
        }
    }

    private static String string(BytePointer p) {
        return p == null || p.isNull() ? "" : p.getString();
    }

    static void setDevice(int device) {
        check(cudart.cudaSetDevice(device), "cudaSetDevice", device, null);
    }

    /**
     * A new stream on {@code device}. It is a blocking stream on purpose: work on it is ordered
     * after earlier work on the legacy default stream and before later work there, which is where
     * PyTorch runs kernels unless told otherwise, so a collective on gradients waits for the
     * backward pass without an explicit event.
     */
    static long createStream(int device) {
        setDevice(device);
        CUstream_st stream = new CUstream_st();
        check(cudart.cudaStreamCreate(stream), "cudaStreamCreate", device, null);
        return stream.address();
    }

    static void destroyStream(int device, long handle) {
        setDevice(device);
        check(cudart.cudaStreamDestroy(new RawStream(handle)), "cudaStreamDestroy", device, null);
    }

    static long malloc(int device, long bytes) {
        setDevice(device);
        Pointer p = new Pointer();
        check(cudart.cudaMalloc(p, Math.max(1, bytes)), "cudaMalloc", device, bytes + " bytes");
        return p.address();
    }

    static void free(int device, long address) {
        setDevice(device);
        check(cudart.cudaFree(new Raw(address, 0)), "cudaFree", device, null);
    }

    static void memset(int device, long address, int value, long bytes) {
        setDevice(device);
        check(cudart.cudaMemset(new Raw(address, bytes), value, bytes), "cudaMemset", device, null);
        check(cudart.cudaDeviceSynchronize(), "cudaDeviceSynchronize", device, "after cudaMemset");
    }

    /** Copies the host region {@code position..limit} to {@code address}; synchronous. */
    static void copyToDevice(int device, long address, ByteBuffer host) {
        setDevice(device);
        long bytes = host.remaining();
        check(cudart.cudaMemcpy(new Raw(address, bytes), new Raw(address(host), bytes), bytes,
                cudart.cudaMemcpyHostToDevice), "cudaMemcpy host to device", device, bytes + " bytes");
        // a synchronous copy from pageable memory may return before the DMA is visible to other streams
        check(cudart.cudaDeviceSynchronize(), "cudaDeviceSynchronize", device, "after a host-to-device copy");
    }

    /** Copies {@code host.remaining()} bytes from {@code address} into the host region; synchronous. */
    static void copyToHost(int device, ByteBuffer host, long address) {
        setDevice(device);
        long bytes = host.remaining();
        check(cudart.cudaDeviceSynchronize(), "cudaDeviceSynchronize", device, "before a device-to-host copy");
        check(cudart.cudaMemcpy(new Raw(address(host), bytes), new Raw(address, bytes), bytes,
                cudart.cudaMemcpyDeviceToHost), "cudaMemcpy device to host", device, bytes + " bytes");
    }

    /**
     * Checks that {@code address} is device (or managed) memory of {@code device}, so a host buffer
     * handed to NCCL by mistake fails here with a message instead of crashing the process in a kernel.
     *
     * @throws IllegalArgumentException naming what the address is instead
     */
    static void requireDeviceMemory(long address, int device, String what) {
        try (cudaPointerAttributes attributes = new cudaPointerAttributes()) {
            int error = cudart.cudaPointerGetAttributes(attributes, new Raw(address, 0));
            if (error != cudart.cudaSuccess) {
                cudart.cudaGetLastError(); // clear the sticky-free error state of this thread
                throw new IllegalArgumentException(what + ": 0x" + Long.toHexString(address)
                        + " is not memory CUDA knows (" + string(cudart.cudaGetErrorName(error))
                        + "); pass a view over device memory, e.g. TensorMemory.of(a CUDA tensor)");
            }
            int type = attributes.type();
            if (type != cudart.cudaMemoryTypeDevice && type != cudart.cudaMemoryTypeManaged) {
                String kind = type == cudart.cudaMemoryTypeHost ? "page-locked host memory" : "pageable host memory";
                throw new IllegalArgumentException(what + ": 0x" + Long.toHexString(address) + " is " + kind
                        + ", not device memory; NCCL needs a view over CUDA memory on device " + device);
            }
            if (type == cudart.cudaMemoryTypeDevice && attributes.device() != device) {
                throw new IllegalArgumentException(what + ": 0x" + Long.toHexString(address) + " is on device "
                        + attributes.device() + " but this rank's communicator uses device " + device);
            }
        }
    }
}
