package dev.sluice.engine.train;

/**
 * Where a step's time goes, in milliseconds per step (means over an epoch, rank 0).
 *
 * @param dataWaitMs waiting for the loader
 * @param hostToDeviceMs moving the batch to the device and converting it
 * @param computeMs forward, backward and optimizer update
 * @param allReduceMs averaging gradients across replicas
 */
public record StepTiming(double dataWaitMs, double hostToDeviceMs, double computeMs, double allReduceMs) {

    /** Sum of the parts. */
    public double totalMs() {
        return dataWaitMs + hostToDeviceMs + computeMs + allReduceMs;
    }
}
