package dev.sluice.data.transform;

import java.util.function.DoubleSupplier;

/**
 * The random draws of one sample's augmentation in one epoch: a counter-based stream keyed by
 * (seed, epoch, sample id), so a sample is augmented the same way however batches are split across
 * ranks and threads, in any order, and after a resume. Draw {@code k} (from 0) is
 * {@code mix64(key + (k + 1) * 0x9E3779B97F4A7C15)} with
 * {@code key = SampleRandom.sampleHash(mix64(seed) ^ epoch, sampleId)}; its top 53 bits give a uniform
 * double in {@code [0, 1)}. Mutable (it counts draws); make a new one per sample and epoch.
 */
public final class SampleDraws implements DoubleSupplier {

    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private long key;
    private long counter;

    /** The draws of sample {@code sampleId} in {@code epoch} under {@code seed}. */
    public SampleDraws(long seed, long epoch, long sampleId) {
        reset(seed, epoch, sampleId);
    }

    /** Restarts the stream for another sample (reuse without allocating). */
    public SampleDraws reset(long seed, long epoch, long sampleId) {
        this.key = SampleRandom.sampleHash(SampleRandom.mix64(seed) ^ epoch, sampleId);
        this.counter = 0;
        return this;
    }

    /** The next 64 random bits. */
    public long nextLong() {
        counter++;
        return SampleRandom.mix64(key + counter * GOLDEN_GAMMA);
    }

    /** The next uniform double in {@code [0, 1)}. */
    @Override
    public double getAsDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }
}
