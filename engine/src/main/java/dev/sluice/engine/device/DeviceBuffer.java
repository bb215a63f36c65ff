package dev.sluice.engine.device;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jcuda.runtime.JCuda;
import jcuda.runtime.cudaMemcpyKind;

/**
 * Device memory from {@code cudaMalloc} on one GPU, zero-filled, freed by {@link #close()}. Used for
 * the stager's uint8 staging buffers, the NCCL benchmark and the GPU tests: what a DJL CUDA tensor
 * is, without needing DJL's CUDA natives. Tensors handed to DJL own their memory.
 */
public final class DeviceBuffer implements AutoCloseable {

    private final int ordinal;
    private final DevicePointer pointer;
    private final long bytes;
    private boolean closed;

    private DeviceBuffer(int ordinal, DevicePointer pointer, long bytes) {
        this.ordinal = ordinal;
        this.pointer = pointer;
        this.bytes = bytes;
    }

    /**
     * Allocates {@code bytes} on {@code gpu}.
     *
     * @throws CudaCallException when the device is out of memory (the message says how much was asked)
     */
    public static DeviceBuffer allocate(CudaGpu gpu, long bytes) {
        return allocate(gpu.ordinal(), bytes);
    }

    /**
     * Allocates {@code bytes} on GPU {@code ordinal}, zero-filled. Callers check {@link CudaProbe} first.
     *
     * @throws CudaCallException when the device is out of memory (the message says how much was asked)
     */
    public static DeviceBuffer allocate(int ordinal, long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("device buffer size must be positive, got " + bytes);
        }
        makeCurrent(ordinal);
        DevicePointer p = new DevicePointer();
        CudaCallException.check(JCuda.cudaMalloc(p, bytes), "cudaMalloc(" + bytes + " bytes) on cuda:" + ordinal);
        DeviceBuffer b = new DeviceBuffer(ordinal, p, bytes);
        try {
            CudaCallException.check(JCuda.cudaMemset(p, 0, bytes), "cudaMemset(" + bytes + " bytes) on cuda:" + ordinal);
            CudaCallException.check(JCuda.cudaDeviceSynchronize(), "cudaDeviceSynchronize after cudaMemset on cuda:"
                    + ordinal);
        } catch (RuntimeException e) {
            try {
                b.close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return b;
    }

    /** The device ordinal. */
    public int ordinal() {
        return ordinal;
    }

    /** The device address. */
    public long address() {
        return pointer.address();
    }

    /** The device address as a JCuda pointer. */
    public DevicePointer pointer() {
        return pointer;
    }

    /** Size in bytes. */
    public long bytes() {
        return bytes;
    }

    /**
     * A new direct buffer over the whole allocation (position 0, limit = size), as
     * {@code PyTorchInternals.memory} gives for a CUDA tensor: it only carries the address and length
     * for APIs that take device memory as a buffer (NCCL); reading or writing it from Java would
     * crash the JVM.
     */
    public ByteBuffer view() {
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalStateException(bytes + " bytes do not fit one ByteBuffer (2 GiB - 1 at most)");
        }
        return new com.sun.jna.Pointer(address()).getByteBuffer(0, bytes).order(ByteOrder.nativeOrder());
    }

    /** Copies the host region {@code position..limit} of a direct buffer to offset 0; synchronous. */
    public void upload(ByteBuffer host) {
        long n = host.remaining();
        if (n > bytes) {
            throw new IllegalArgumentException(n + " bytes do not fit " + bytes + " bytes on cuda:" + ordinal);
        }
        makeCurrent(ordinal);
        CudaCallException.check(JCuda.cudaMemcpy(pointer, new DevicePointer(hostAddress(host)), n,
                cudaMemcpyKind.cudaMemcpyHostToDevice), "cudaMemcpy host to device (" + n + " bytes) on cuda:" + ordinal);
        // a synchronous copy from pageable memory may return before the DMA is visible to other streams
        CudaCallException.check(JCuda.cudaDeviceSynchronize(), "cudaDeviceSynchronize after a host-to-device copy"
                + " on cuda:" + ordinal);
    }

    /** Copies {@code host.remaining()} bytes from offset 0 into the host region of a direct buffer, after all work on the device. */
    public void download(ByteBuffer host) {
        long n = host.remaining();
        if (n > bytes) {
            throw new IllegalArgumentException("cannot read " + n + " bytes from " + bytes + " bytes on cuda:" + ordinal);
        }
        makeCurrent(ordinal);
        CudaCallException.check(JCuda.cudaDeviceSynchronize(), "cudaDeviceSynchronize before a device-to-host copy"
                + " on cuda:" + ordinal);
        CudaCallException.check(JCuda.cudaMemcpy(new DevicePointer(hostAddress(host)), pointer, n,
                cudaMemcpyKind.cudaMemcpyDeviceToHost), "cudaMemcpy device to host (" + n + " bytes) on cuda:" + ordinal);
    }

    /** Frees the memory (cudaFree waits for work using it). Idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            makeCurrent(ordinal);
            CudaCallException.check(JCuda.cudaFree(pointer), "cudaFree(" + bytes + " bytes) on cuda:" + ordinal);
        }
    }

    private static long hostAddress(ByteBuffer host) {
        if (!host.isDirect()) {
            throw new IllegalArgumentException("host buffer must be direct (a heap buffer has no stable address)");
        }
        return NativeAddress.of(host) + host.position();
    }

    private static void makeCurrent(int ordinal) {
        CudaCallException.check(JCuda.cudaSetDevice(ordinal), "cudaSetDevice(" + ordinal + ")");
    }
}
