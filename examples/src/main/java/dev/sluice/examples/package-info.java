/**
 * Runnable programs that show Sluice from the outside: {@link dev.sluice.examples.EmbeddedTraining}
 * (the {@code TrainingRun} embedding API), {@link dev.sluice.examples.MultiDeviceBenchmark} (scaling
 * across replicas) and {@link dev.sluice.examples.DjlEasyTrain} (a Sluice dataset in DJL's own
 * training loop).
 */
package dev.sluice.examples;
