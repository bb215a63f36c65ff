// Copyright Sluice contributors. Licensed under the Apache License, Version 2.0.
//
// Batch transforms on the device, applied to a batch as the dataset stores it: N samples of uint8,
// contiguous, each H x W x C (layout HWC) or C x H x W (layout CHW). The output is always float32
// NCHW. Launch: blockDim = (256, 1, 1); gridDim.x = ceil(H*W / 256); gridDim.y = min(N, 65535)
// (samples beyond gridDim.y are taken by a grid-stride loop). One thread computes one output pixel
// of one sample, all channels: it derives the source pixel once and writes one value per plane, so
// each plane's stores are coalesced across the warp. The per-pixel math is in sluice_transform.cuh.
//
// Compile with -fmad=false (build-ptx.sh does): results must equal the Java twin's bit for bit.
#include "sluice_transform.cuh"

namespace {

template <bool AUGMENT>
__device__ __forceinline__ void transform_body(
        const unsigned char* __restrict__ in, float* __restrict__ out,
        int n, int h, int w, int c_count, int layout, const SluiceChannelParams* params,
        int pad, int crop, int flip, unsigned long long seed, unsigned long long first_sample_id) {
    const int pixels = h * w;
    const int p = blockIdx.x * blockDim.x + threadIdx.x;
    if (p >= pixels) {
        return;
    }
    const int y = p / w;
    const int x = p - y * w;
    const long long sample_elems = (long long) pixels * c_count;
    for (int s = blockIdx.y; s < n; s += gridDim.y) {
        int dy = 0;
        int dx = 0;
        int flipped = 0;
        if (AUGMENT) {
            sluice_sample_augment(seed, first_sample_id + (unsigned long long) s, pad, crop, flip,
                                  &dy, &dx, &flipped);
        }
        sluice_transform_pixel(in + s * sample_elems, out + s * sample_elems, h, w, c_count, layout,
                               params, y, x, dy, dx, AUGMENT ? pad : 0, flipped);
    }
}

}  // namespace

// uint8 (HWC or CHW) -> float32 CHW, scaled by 1/255.
extern "C" __global__ void sluice_convert_u8_f32(
        const unsigned char* __restrict__ in, float* __restrict__ out,
        int n, int h, int w, int c, int layout) {
    transform_body<false>(in, out, n, h, w, c, layout, nullptr, 0, 0, 0, 0ULL, 0ULL);
}

// uint8 (HWC or CHW) -> float32 CHW, (v / 255 - mean[c]) / std[c] (computed as in sluice_normalize).
// __grid_constant__ lets the kernel index the parameter block by channel without a local copy.
extern "C" __global__ void sluice_normalize_u8_f32(
        const unsigned char* __restrict__ in, float* __restrict__ out,
        int n, int h, int w, int c, int layout, const __grid_constant__ SluiceChannelParams params) {
    transform_body<false>(in, out, n, h, w, c, layout, &params, 0, 0, 0, 0ULL, 0ULL);
}

// Fused: per-sample random crop of the zero-padded image (pad pixels each side, crop back to H x W
// at an offset drawn from the sample hash; crop == 0 means no shift, and then pad must be 0),
// random horizontal flip (when flip != 0), then conversion and per-channel normalization.
// Sample s of the batch uses the hash of (seed, first_sample_id + s).
extern "C" __global__ void sluice_augment_normalize_u8_f32(
        const unsigned char* __restrict__ in, float* __restrict__ out,
        int n, int h, int w, int c, int layout, const __grid_constant__ SluiceChannelParams params,
        int pad, int crop, int flip, unsigned long long seed, unsigned long long first_sample_id) {
    transform_body<true>(in, out, n, h, w, c, layout, &params, pad, crop, flip, seed, first_sample_id);
}
