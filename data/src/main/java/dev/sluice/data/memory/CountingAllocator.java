package dev.sluice.data.memory;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The counts every {@link HostAllocator} keeps (buffers allocated and freed, bytes live), so tests
 * and benchmarks can check that memory is allocated once and handed back, whichever kind it is.
 * Subclasses only reserve and release. Thread-safe.
 */
public abstract class CountingAllocator implements HostAllocator {

    private final AtomicLong allocations = new AtomicLong();
    private final AtomicLong frees = new AtomicLong();
    private final AtomicLong liveBytes = new AtomicLong();

    /** Reserves {@code bytes} of memory as a native-order buffer whose limit is {@code bytes}. */
    protected abstract ByteBuffer reserve(int bytes);

    /**
     * Releases a buffer from {@link #reserve}.
     *
     * @return the bytes released
     */
    protected abstract long release(ByteBuffer buffer);

    @Override
    public final ByteBuffer allocate(int bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("cannot allocate " + bytes + " bytes");
        }
        ByteBuffer b = reserve(bytes);
        allocations.incrementAndGet();
        liveBytes.addAndGet(bytes);
        return b;
    }

    @Override
    public final void free(ByteBuffer buffer) {
        long bytes = release(buffer);
        frees.incrementAndGet();
        liveBytes.addAndGet(-bytes);
    }

    /** Buffers allocated so far. */
    public final long allocations() {
        return allocations.get();
    }

    /** Buffers freed so far. */
    public final long frees() {
        return frees.get();
    }

    /** Bytes allocated and not yet freed. */
    public final long liveBytes() {
        return liveBytes.get();
    }
}
