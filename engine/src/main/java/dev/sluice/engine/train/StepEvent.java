package dev.sluice.engine.train;

import dev.sluice.data.loader.LoaderState;
import java.util.function.Supplier;

/**
 * What one step did, as the step loop hands it to the listeners.
 *
 * @param epoch epoch number from 1
 * @param step global step (from 1) just taken
 * @param totalSteps the step at which the run ends
 * @param loss this replica's loss
 * @param agreedLoss the mean loss over replicas (what the NaN policy decided on)
 * @param updated whether the parameters were updated (false: the batch was skipped)
 * @param lr learning rate of the step
 * @param samplesPerSecond this epoch's rate so far, all replicas together
 * @param stopRequested whether a replica was asked to stop (the loop stops after the listeners)
 * @param position the loader position after this step, for a checkpoint
 */
record StepEvent(int epoch, long step, long totalSteps, float loss, double agreedLoss, boolean updated, float lr,
                 double samplesPerSecond, boolean stopRequested, Supplier<LoaderState> position) {}
