package dev.sluice.engine.device;

import dev.sluice.data.memory.CountingAllocator;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.IdentityHashMap;
import java.util.Map;
import jcuda.runtime.JCuda;

/**
 * Page-locked host memory from {@code cudaHostAlloc} (portable: pinned for every GPU of the
 * process), so copies to a device are DMA that runs asynchronously on a copy stream. Give it to the
 * {@link dev.sluice.data.loader.Loader} as batch memory when training on CUDA.
 *
 * <p>Pinned memory is a scarce system resource: allocate once per pool, never per batch. Thread-safe.
 */
public final class PinnedAllocator extends CountingAllocator {

    private final Map<ByteBuffer, Block> live = new IdentityHashMap<>();

    private record Block(DevicePointer pointer, int bytes) {}

    private PinnedAllocator() {}

    /**
     * A pinned allocator for this process.
     *
     * @throws DeviceUnavailableException without a CUDA driver and GPU (use
     *     {@link dev.sluice.data.memory.DirectAllocator} there)
     */
    public static PinnedAllocator create() {
        CudaProbe.Status s = CudaProbe.system();
        if (!s.available()) {
            throw new DeviceUnavailableException("pinned host memory needs CUDA, which is not usable here: " + s.reason()
                    + "; use DirectAllocator on hosts without a GPU");
        }
        return new PinnedAllocator();
    }

    /**
     * @throws CudaCallException when the system refuses to pin that much memory (the message says how much)
     */
    @Override
    protected ByteBuffer reserve(int bytes) {
        DevicePointer p = new DevicePointer();
        CudaCallException.check(JCuda.cudaHostAlloc(p, Math.max(1, bytes), JCuda.cudaHostAllocPortable),
                "cudaHostAlloc(" + bytes + " bytes, portable)");
        ByteBuffer b = p.getByteBuffer(0, Math.max(1, bytes)).limit(bytes).order(ByteOrder.nativeOrder());
        synchronized (live) {
            live.put(b, new Block(p, bytes));
        }
        return b;
    }

    /**
     * @throws IllegalArgumentException if the buffer was not allocated here or was already freed
     */
    @Override
    protected long release(ByteBuffer buffer) {
        Block block;
        synchronized (live) {
            block = live.remove(buffer);
        }
        if (block == null) {
            throw new IllegalArgumentException("buffer " + buffer + " was not allocated by this PinnedAllocator"
                    + " or was freed already");
        }
        CudaCallException.check(JCuda.cudaFreeHost(block.pointer()), "cudaFreeHost(" + block.bytes() + " bytes)");
        return block.bytes();
    }

    @Override
    public boolean pinned() {
        return true;
    }

    @Override
    public String describe() {
        return "pinned (cudaHostAlloc, portable)";
    }
}
