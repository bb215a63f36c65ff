package dev.sluice.engine.train;

import dev.sluice.engine.device.DeviceBatch;

/**
 * Sees every training batch a replica is about to step on, on that replica's thread, after the
 * loader, the decode stage and the feeder made it. For tests that check what each replica received;
 * it must only read the batch (reading changes nothing the step uses).
 */
interface BatchTap {

    /**
     * @param rank the replica's global rank
     * @param epoch the epoch, from 1
     * @param step the global step the batch is for, from 1
     */
    void onBatch(int rank, int epoch, long step, DeviceBatch batch) throws Exception;
}
