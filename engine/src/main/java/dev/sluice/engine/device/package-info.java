/**
 * Devices and the path from pooled host batches to tensors on them.
 *
 * <p>{@link dev.sluice.engine.device.Devices} turns {@code --devices} into
 * {@link dev.sluice.engine.device.ComputeDevice}s: {@link dev.sluice.engine.device.CudaDevice} when
 * JCuda finds GPUs and DJL's PyTorch engine can use them, else
 * {@link dev.sluice.engine.device.HostDevice}. CUDA is touched lazily, so a host without the NVIDIA
 * driver loads every class here and simply runs on the CPU.
 *
 * <p>Per device: a {@link dev.sluice.data.memory.HostAllocator} for the loader's batch pool (pinned
 * {@link dev.sluice.engine.device.PinnedAllocator} with a GPU) and a
 * {@link dev.sluice.engine.device.Feeder} per epoch. The CUDA path has two layers: the DJL-free
 * {@link dev.sluice.engine.device.DeviceStager} (raw device memory, copy stream, kernels, events;
 * testable on a GPU without DJL) and {@link dev.sluice.engine.device.CudaFeeder}, which points the
 * stager at DJL tensors' {@code data_ptr}. The CPU path, {@link dev.sluice.engine.device.HostFeeder},
 * runs the kernels' bit-exact CPU twin into tensor memory.
 */
package dev.sluice.engine.device;
