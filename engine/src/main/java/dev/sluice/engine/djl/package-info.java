/**
 * Sluice datasets for DJL's own training API: {@link dev.sluice.engine.djl.SluiceDataset} is an
 * {@code ai.djl.training.dataset.Dataset} that streams a split through the Sluice loader (any
 * store, shuffled per epoch, pooled host buffers) and hands {@code EasyTrain} normalized float32
 * NCHW batches with int64 labels.
 */
package dev.sluice.engine.djl;
