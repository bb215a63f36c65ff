package dev.sluice.engine.device;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.sluice.data.loader.EpochStream;
import dev.sluice.data.memory.HostAllocator;
import dev.sluice.data.transform.TransformSpec;

/**
 * Where one model replica runs, and how batches get there. Two implementations: {@link CudaDevice}
 * (a GPU through JCuda: pinned batch memory, copy stream, events, transform kernels) and
 * {@link HostDevice} (the CPU: direct memory, the CPU twin of the kernels). Obtain them from
 * {@link Devices}.
 */
public interface ComputeDevice extends AutoCloseable {

    /** {@code cpu:N} or {@code cuda:N}. */
    String name();

    /** The DJL device replicas on this device create their tensors on. */
    Device djlDevice();

    /** Whether this is a CUDA GPU. */
    boolean isCuda();

    /**
     * Memory for the loader's batch buffers ({@code new Loader(dataset, config, device.hostAllocator())}):
     * pinned with a GPU so copies are asynchronous DMA, direct otherwise. Shared by every loader
     * feeding this device; owned by the device.
     */
    HostAllocator hostAllocator();

    /**
     * A feeder moving one epoch's host batches onto this device.
     *
     * @param stream the epoch's host batches, from a loader using {@link #hostAllocator()}; the
     *     feeder closes it
     * @param manager a manager on {@link #djlDevice()} (the replica's); batches get sub-managers
     * @param input which fields feed the model
     * @param transform {@code input.transform()}, or {@code input.augmented(pad, flip, seed)}
     */
    Feeder feeder(EpochStream stream, NDManager manager, FeedSpec input, TransformSpec transform);

    /** Releases streams and kernels; close feeders first. */
    @Override
    void close();
}
