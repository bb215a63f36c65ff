package dev.sluice.engine.device;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * A batch on a replica's device: float32 NCHW inputs, int64 labels, and the time it took to get
 * here. Closing frees the tensors.
 *
 * @param inputs {@code [N, C, H, W]} float32, normalized
 * @param labels {@code [N]} int64 class ids
 * @param size samples in the batch
 * @param dataWaitNanos time spent waiting for the loader
 * @param copyNanos time spent moving the batch to the device (host-to-device)
 * @param manager owner of the tensors
 */
public record DeviceBatch(NDArray inputs, NDArray labels, int size, long dataWaitNanos, long copyNanos,
                          NDManager manager) implements AutoCloseable {
    @Override
    public void close() {
        manager.close();
    }
}
