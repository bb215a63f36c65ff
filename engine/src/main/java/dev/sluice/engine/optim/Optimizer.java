package dev.sluice.engine.optim;

import ai.djl.ndarray.NDArray;
import java.util.List;
import java.util.Map;

/**
 * Updates parameters in place from their gradients. Two implementations ({@link Sgd},
 * {@link AdamW}); unlike DJL's optimizers their state is exposed so checkpoints can hold it and a
 * resumed run continues the same trajectory.
 */
public interface Optimizer {

    /**
     * Applies one update (call with autograd recording off). Every replica applies the same update
     * to the same averaged gradients, which keeps replicas identical.
     *
     * @param params parameters with gradients, in a fixed order
     * @param lr learning rate of this step
     */
    void step(List<Param> params, float lr);

    /** State tensors keyed by {@code parameterName/slot}, created lazily on the first step. */
    Map<String, NDArray> state();

    /** Steps taken so far (part of the state: Adam's bias correction depends on it). */
    long steps();

    /** Installs state tensors read from a checkpoint (keys as {@link #state()} gives them). */
    void load(Map<String, NDArray> state);

    /** Restores the step counter after loading state tensors from a checkpoint. */
    void restoreSteps(long steps);

    /** Short name for logs and the configuration hash, e.g. {@code sgd(momentum=0.9,nesterov)}. */
    String describe();
}
