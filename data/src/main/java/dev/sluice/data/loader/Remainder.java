package dev.sluice.data.loader;

/**
 * What to do with the samples of an epoch that do not divide evenly among the ranks (every rank
 * must see the same number of samples so they step in lockstep).
 */
public enum Remainder {
    /** Leave out the last {@code N mod world} samples of the epoch order (a different few each epoch). */
    DROP,
    /** Give ranks {@code ceil(N / world)} samples, repeating samples from the start of the epoch order. */
    WRAP,
    /**
     * Every sample exactly once; ranks get {@code floor} or {@code ceil(N / world)} samples, so they do
     * not step in lockstep. For evaluation, where each rank sums its own results.
     */
    UNEVEN
}
