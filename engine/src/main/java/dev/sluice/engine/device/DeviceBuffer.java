package dev.sluice.engine.device;

import jcuda.runtime.JCuda;

/**
 * Device memory from {@code cudaMalloc} on one GPU, freed by {@link #close()}. Used for the
 * stager's uint8 staging buffers, benchmarks and tests; tensors handed to DJL own their memory.
 */
public final class DeviceBuffer implements AutoCloseable {

    private final CudaGpu gpu;
    private final DevicePointer pointer;
    private final long bytes;
    private boolean closed;

    private DeviceBuffer(CudaGpu gpu, DevicePointer pointer, long bytes) {
        this.gpu = gpu;
        this.pointer = pointer;
        this.bytes = bytes;
    }

    /**
     * Allocates {@code bytes} on {@code gpu}.
     *
     * @throws CudaCallException when the device is out of memory (the message says how much was asked)
     */
    public static DeviceBuffer allocate(CudaGpu gpu, long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("device buffer size must be positive, got " + bytes);
        }
        gpu.makeCurrent();
        DevicePointer p = new DevicePointer();
        CudaCallException.check(JCuda.cudaMalloc(p, bytes), "cudaMalloc(" + bytes + " bytes) on " + gpu.name());
        return new DeviceBuffer(gpu, p, bytes);
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

    /** Frees the memory (cudaFree waits for work using it). Idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            gpu.makeCurrent();
            CudaCallException.check(JCuda.cudaFree(pointer), "cudaFree(" + bytes + " bytes) on " + gpu.name());
        }
    }
}
