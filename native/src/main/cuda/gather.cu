// Copyright Sluice contributors. Licensed under the Apache License, Version 2.0.
//
// Batch gather on the device from a shard slab in pinned host memory: sample i of the batch is the
// sample_bytes bytes at slab + offsets[i]. With unified addressing the device reads pinned host
// memory through the same pointer, so object-store bytes are copied once on the host (network into
// the pinned slab) and the batch is assembled by the GPU over PCIe, instead of a second host copy
// into a batch buffer followed by a host-to-device copy.
//
// Launch: blockDim = (256, 1, 1); any gridDim.x (a grid-stride loop covers n * sample_bytes bytes);
// consecutive threads read consecutive bytes of one sample, so reads and writes coalesce.
// The Java twin is dev.sluice.engine.device.SlabGather: the output must equal it byte for byte.
extern "C" __global__ void sluice_gather_samples(
        const unsigned char* __restrict__ slab, const long long* __restrict__ offsets,
        unsigned char* __restrict__ out, long long sample_bytes, int n) {
    const long long total = (long long) n * sample_bytes;
    const long long stride = (long long) gridDim.x * blockDim.x;
    for (long long k = (long long) blockIdx.x * blockDim.x + threadIdx.x; k < total; k += stride) {
        const long long s = k / sample_bytes;
        out[k] = slab[offsets[s] + (k - s * sample_bytes)];
    }
}
