package dev.sluice.engine.train;

/**
 * What one epoch did.
 *
 * @param epoch epoch number from 1
 * @param steps optimizer steps taken in the epoch
 * @param trainLoss mean training loss over the epoch's steps whose loss was finite; NaN when there
 *     were none (every batch skipped, or a resumed epoch with no batch left)
 * @param trainAccuracy fraction of training samples predicted right (during training); NaN when the
 *     epoch took no step
 * @param evalLoss mean loss on the evaluation split, or NaN
 * @param evalAccuracy accuracy on the evaluation split, or NaN
 * @param seconds wall time of the epoch's training steps
 * @param samplesPerSecond training samples (for a token dataset: sequences, not tokens) per second, all
 *     replicas together
 * @param dataWaitFraction share of step time spent waiting for data
 * @param timing mean per-step split of time
 * @param io what rank 0's training loader read during the epoch
 */
public record EpochSummary(int epoch, long steps, double trainLoss, double trainAccuracy, double evalLoss,
                           double evalAccuracy, double seconds, double samplesPerSecond, double dataWaitFraction,
                           StepTiming timing, EpochIo io) {}
