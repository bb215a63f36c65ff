package dev.sluice.engine.device;

import java.nio.ByteBuffer;

/**
 * Assembles a batch from a shard slab: sample {@code i} is the {@code sampleBytes} bytes at
 * {@code offsets[i]} of the slab. This is the CPU twin of the device kernel
 * {@code sluice_gather_samples} ({@link dev.sluice.engine.transform.GatherKernel}), which does the
 * same from a slab in pinned host memory so the host copies object-store bytes only once; the two
 * must agree byte for byte.
 */
public final class SlabGather {

    private SlabGather() {}

    /**
     * Copies the samples into {@code out} from its index 0, one after another.
     *
     * @param slab the shard's bytes (absolute indexing; position and limit are ignored)
     * @param offsets where each sample starts in the slab
     * @param sampleBytes bytes per sample
     * @param out receives {@code offsets.length * sampleBytes} bytes (absolute indexing)
     * @throws IllegalArgumentException naming the sample whose bytes lie outside the slab, or when
     *     {@code out} is too small; nothing is written then
     */
    public static void gather(ByteBuffer slab, long[] offsets, int sampleBytes, ByteBuffer out) {
        check(slab.capacity(), offsets, sampleBytes, out.capacity());
        for (int i = 0; i < offsets.length; i++) {
            out.put(i * sampleBytes, slab, (int) offsets[i], sampleBytes);
        }
    }

    /**
     * The checks both the twin and the kernel launch make before touching memory.
     *
     * @throws IllegalArgumentException as described for {@link #gather}
     */
    public static void check(long slabBytes, long[] offsets, int sampleBytes, long outBytes) {
        if (sampleBytes <= 0) {
            throw new IllegalArgumentException("sampleBytes must be positive, got " + sampleBytes);
        }
        long needed = (long) offsets.length * sampleBytes;
        if (needed > outBytes) {
            throw new IllegalArgumentException(offsets.length + " samples of " + sampleBytes + " bytes need " + needed
                    + " bytes, the batch buffer has " + outBytes);
        }
        for (int i = 0; i < offsets.length; i++) {
            if (offsets[i] < 0 || offsets[i] > slabBytes - sampleBytes) {
                throw new IllegalArgumentException("sample " + i + " at slab offset " + offsets[i] + " (+" + sampleBytes
                        + " bytes) lies outside the slab of " + slabBytes + " bytes");
            }
        }
    }
}
