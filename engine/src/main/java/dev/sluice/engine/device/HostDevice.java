package dev.sluice.engine.device;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.sluice.data.loader.EpochStream;
import dev.sluice.data.memory.DirectAllocator;
import dev.sluice.data.memory.HostAllocator;
import dev.sluice.data.transform.TransformSpec;

/**
 * The CPU as a replica's device ({@code cpu:N} gives N of them, all on DJL's CPU device): direct
 * batch memory and the {@link HostFeeder}.
 */
public final class HostDevice implements ComputeDevice {

    private final int index;
    private final DirectAllocator allocator = new DirectAllocator();

    /** @param index replica number, for the name {@code cpu:index} */
    public HostDevice(int index) {
        if (index < 0) {
            throw new IllegalArgumentException("CPU replica index must not be negative, got " + index);
        }
        this.index = index;
    }

    @Override
    public String name() {
        return "cpu:" + index;
    }

    @Override
    public Device djlDevice() {
        return Device.cpu();
    }

    @Override
    public boolean isCuda() {
        return false;
    }

    /** Direct (unpinned) memory; its counters show allocations and frees. */
    @Override
    public DirectAllocator hostAllocator() {
        return allocator;
    }

    @Override
    public Feeder feeder(EpochStream stream, NDManager manager, FeedSpec input, TransformSpec transform) {
        return new HostFeeder(stream, manager, input, transform, HostFeeder.DEFAULT_RING);
    }

    @Override
    public void close() {
        // nothing held: batch memory belongs to the loaders' pools
    }

    @Override
    public String toString() {
        return name();
    }
}
