package dev.sluice.engine.optim;

import ai.djl.ndarray.NDArray;

/**
 * A trainable tensor and its stable name (the block's parameter path, identical across replicas).
 *
 * @param name stable name, e.g. {@code 01Linear_weight}
 * @param array the parameter's value, with a gradient attached
 */
public record Param(String name, NDArray array) {

    /**
     * The gradient of the last backward pass. DJL returns a new wrapper on every call, attached to
     * the parameter's manager: attach it to a short-lived manager.
     */
    public NDArray grad() {
        return array.getGradient();
    }
}
