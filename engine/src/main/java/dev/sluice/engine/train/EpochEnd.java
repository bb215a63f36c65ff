package dev.sluice.engine.train;

import dev.sluice.data.loader.LoaderState;

/**
 * How an epoch's training steps ended.
 *
 * @param epoch epoch number from 1
 * @param step global step reached
 * @param complete every batch of the epoch was trained
 * @param stopped a stop request ended it
 * @param position the loader position where it ended (inside the epoch when not complete)
 * @param next the position at the start of the next epoch
 */
record EpochEnd(int epoch, long step, boolean complete, boolean stopped, LoaderState position, LoaderState next) {}
