package dev.sluice.data.transform;

/**
 * The per-sample randomness of the batch transforms: a pure function of (seed, sample id), computed
 * identically by the CUDA kernels ({@code sluice_transform.cuh}) and by {@link CpuBatchTransform}.
 * Being counter-based (no generator state), it gives the same augmentation for a sample however
 * batches are split, on whichever device, in any order, and after a resume.
 *
 * <p>Contract (all arithmetic on unsigned 64-bit words, wrapping):
 * <pre>
 *   mix64(z)     = splitmix64 finalizer
 *   hash         = mix64(mix64(seed) + (sampleId + 1) * 0x9E3779B97F4A7C15)
 *   cropOffsetY  = ((hash &gt;&gt;&gt; 32)        * (2 * pad + 1)) &gt;&gt;&gt; 32     in [0, 2 * pad]
 *   cropOffsetX  = ((hash &amp; 0xFFFFFFFF) * (2 * pad + 1)) &gt;&gt;&gt; 32     in [0, 2 * pad]
 *   flip         = mix64(hash) &gt;&gt;&gt; 63
 * </pre>
 */
public final class SampleRandom {

    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private SampleRandom() {
    }

    /** The splitmix64 finalizer: a bijection on 64-bit words with full avalanche. */
    public static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The 64 random bits of sample {@code sampleId} under {@code seed}. */
    public static long sampleHash(long seed, long sampleId) {
        return mix64(mix64(seed) + (sampleId + 1) * GOLDEN_GAMMA);
    }

    /** Row offset of the crop window in the image padded by {@code pad}: in {@code [0, 2 * pad]}. */
    public static int cropOffsetY(long hash, int pad) {
        return uniform(hash >>> 32, pad);
    }

    /** Column offset of the crop window in the image padded by {@code pad}: in {@code [0, 2 * pad]}. */
    public static int cropOffsetX(long hash, int pad) {
        return uniform(hash & 0xFFFFFFFFL, pad);
    }

    /** Whether the sample is flipped horizontally (when flipping is enabled). */
    public static boolean flip(long hash) {
        return (mix64(hash) >>> 63) != 0;
    }

    // Multiply-high of 32 random bits by the range: no division, same integers as the C code.
    private static int uniform(long bits32, int pad) {
        long range = 2L * pad + 1;
        return (int) ((bits32 * range) >>> 32);
    }
}
