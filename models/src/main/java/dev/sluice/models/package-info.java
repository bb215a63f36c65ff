/**
 * Sluice's networks as DJL blocks and a registry by name.
 *
 * <p>{@link dev.sluice.models.ModelRegistry#create} builds {@code mlp}, {@code cnn}, {@code
 * resnet18} or {@code gpt-small} for an {@link dev.sluice.models.InputSpec} derived from the
 * dataset schema, and fails with a {@link dev.sluice.models.ModelConfigException} that names the
 * field and what fits when the shapes do not. Dense models take float32 NCHW batches and all
 * return logits {@code [N, classes]}. Initialization draws only from the engine's random
 * generator, so the same {@code Engine.setRandomSeed} gives the same parameters.
 *
 * <p>Only {@code ai.djl:api} is needed at compile time; the engine (PyTorch) comes at run time.
 */
package dev.sluice.models;
