package dev.sluice.data.loader;

/**
 * SplitMix64: a tiny, fully specified generator, so the same seed yields the same order on every
 * machine and JVM (docs/LOADER.md section 2 spells it out for other implementations).
 */
final class Rng {

    private long state;

    Rng(long seed) {
        this.state = seed;
    }

    /** Next 64 random bits. */
    long nextLong() {
        long z = (state += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Uniform in {@code [0, bound)} for {@code 0 < bound <= 2^31}: high 32 bits times bound. */
    int nextInt(int bound) {
        return (int) (((nextLong() >>> 32) * bound) >>> 32);
    }

    /** Derives a seed from a base seed and a few integers (e.g. epoch, segment, rank). */
    static long derive(long seed, long... parts) {
        Rng r = new Rng(seed);
        long h = r.nextLong();
        for (long p : parts) {
            r = new Rng(h ^ p);
            h = r.nextLong();
        }
        return h;
    }
}
