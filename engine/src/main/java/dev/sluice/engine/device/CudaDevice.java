package dev.sluice.engine.device;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.sluice.data.loader.EpochStream;
import dev.sluice.data.transform.TransformSpec;

/**
 * A CUDA GPU as a replica's device: DJL's {@code gpu(N)}, pinned batch memory, and the
 * {@link CudaFeeder} over the GPU's copy stream and kernels.
 */
public final class CudaDevice implements ComputeDevice {

    private final CudaGpu gpu;

    private CudaDevice(CudaGpu gpu) {
        this.gpu = gpu;
    }

    /**
     * Opens GPU {@code ordinal}.
     *
     * @throws DeviceUnavailableException without CUDA or when there is no such GPU
     */
    public static CudaDevice open(int ordinal) {
        return new CudaDevice(CudaGpu.open(ordinal));
    }

    @Override
    public String name() {
        return gpu.name();
    }

    @Override
    public Device djlDevice() {
        return Device.gpu(gpu.ordinal());
    }

    @Override
    public boolean isCuda() {
        return true;
    }

    /** Pinned memory ({@code cudaHostAlloc}). */
    @Override
    public PinnedAllocator hostAllocator() {
        return gpu.pinnedAllocator();
    }

    /** The GPU underneath (streams, kernels), for benchmarks and diagnostics. */
    public CudaGpu gpu() {
        return gpu;
    }

    @Override
    public Feeder feeder(EpochStream stream, NDManager manager, FeedSpec input, TransformSpec transform) {
        return new CudaFeeder(stream, manager, input, transform, gpu, CudaFeeder.DEFAULT_RING);
    }

    @Override
    public void close() {
        gpu.close();
    }

    @Override
    public String toString() {
        return gpu.info().describe();
    }
}
