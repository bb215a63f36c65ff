package dev.sluice.data.memory;

import java.nio.ByteBuffer;

/**
 * Source of off-heap host memory for batch and shard buffers. Two implementations: plain direct
 * memory ({@link DirectAllocator}) and page-locked CUDA host memory (in the engine, used when a GPU
 * is present so copies to the device can be asynchronous DMA).
 */
public interface HostAllocator {

    /**
     * Allocates {@code bytes} of host memory as a native-order direct buffer. The memory belongs to
     * the caller until it is handed back to {@link #free}.
     */
    ByteBuffer allocate(int bytes);

    /** Releases memory returned by {@link #allocate}; the buffer must not be used afterwards. */
    void free(ByteBuffer buffer);

    /** Whether the memory is page-locked (eligible for asynchronous DMA to a device). */
    boolean pinned();

    /** Short description for logs, e.g. "direct" or "pinned (cudaHostAlloc)". */
    String describe();
}
