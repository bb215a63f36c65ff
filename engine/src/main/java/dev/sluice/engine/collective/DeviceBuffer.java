package dev.sluice.engine.collective;

import java.nio.ByteBuffer;

/**
 * Raw device memory ({@code cudaMalloc}) on one CUDA device, for the NCCL benchmark and the GPU
 * tests: what a DJL CUDA tensor is, without needing DJL's CUDA natives. Freed on close. Only usable
 * after {@link dev.sluice.nccl.Nccl#load} succeeded.
 */
final class DeviceBuffer implements AutoCloseable {
    private final int device;
    private final long address;
    private final int bytes;
    private boolean closed;

    /** Allocates {@code bytes} on {@code device}, zero-filled. */
    DeviceBuffer(int device, int bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("negative size " + bytes);
        }
        this.device = device;
        this.bytes = bytes;
        this.address = CudaRuntime.malloc(device, bytes);
        try {
            CudaRuntime.memset(device, address, 0, bytes);
        } catch (RuntimeException e) {
            try {
                CudaRuntime.free(device, address);
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    int device() {
        return device;
    }

    long address() {
        return address;
    }

    int bytes() {
        return bytes;
    }

    /** A new direct buffer over the whole allocation (position 0, limit = size); never dereference it. */
    ByteBuffer view() {
        return CudaRuntime.view(address, bytes);
    }

    /** Copies the host region {@code position..limit} to offset 0. */
    void upload(ByteBuffer host) {
        if (host.remaining() > bytes) {
            throw new IllegalArgumentException(host.remaining() + " bytes do not fit " + bytes + " bytes on device " + device);
        }
        CudaRuntime.copyToDevice(device, address, host);
    }

    /** Copies {@code host.remaining()} bytes from offset 0 into the host region, after all work on the device. */
    void download(ByteBuffer host) {
        if (host.remaining() > bytes) {
            throw new IllegalArgumentException("cannot read " + host.remaining() + " bytes from " + bytes
                    + " bytes on device " + device);
        }
        CudaRuntime.copyToHost(device, host, address);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            CudaRuntime.free(device, address);
        }
    }
}
