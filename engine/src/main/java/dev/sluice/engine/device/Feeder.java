package dev.sluice.engine.device;

import java.io.IOException;

/**
 * Moves host batches of one epoch onto a replica's device. Two implementations: the host feeder
 * (CPU tensors, synchronous) and the CUDA feeder (pinned host memory, copy stream, events).
 */
public interface Feeder extends AutoCloseable {

    /** The next batch on the device, or null at the end of the epoch. */
    DeviceBatch next() throws IOException;

    @Override
    void close();
}
