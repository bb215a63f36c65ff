// Copyright Sluice contributors. Licensed under the Apache License, Version 2.0.
//
// Per-pixel math of the batch transforms, shared by the kernels (transform.cu) and the host
// check program (native/src/test/host). The Java twin, dev.sluice.data.transform.CpuBatchTransform,
// computes exactly the same integers and performs the same float operations in the same order;
// keep the three in step when changing anything here.
#ifndef SLUICE_TRANSFORM_CUH
#define SLUICE_TRANSFORM_CUH

#ifdef __CUDACC__
#define SLUICE_HD __host__ __device__ __forceinline__
#else
#define SLUICE_HD inline
#endif

// Layout codes: the same numbers as dev.sluice.data.transform.Layout#code().
#define SLUICE_LAYOUT_HWC 0
#define SLUICE_LAYOUT_CHW 1

// Largest channel count a spec may have: bounds the by-value parameter block below.
#define SLUICE_MAX_CHANNELS 16

// 1/255 as the float nearest to it (0x3B808081), written in hex so no compiler rounds it differently.
#define SLUICE_INV255 0x1.010102p-8f

// Per-channel normalization constants, passed to kernels by value (128 bytes of kernel parameters)
// so launches on different streams with different specs never share mutable device state.
// inv_std is computed once on the host as 1.0f / std (float division), like the Java twin does.
struct SluiceChannelParams {
    float mean[SLUICE_MAX_CHANNELS];
    float inv_std[SLUICE_MAX_CHANNELS];
};

// splitmix64 finalizer (Steele, Lea, Flood 2014): a bijection on 64 bits with good avalanche.
SLUICE_HD unsigned long long sluice_mix64(unsigned long long z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

// The 64 random bits of one sample: a pure function of (seed, sample id), so any batch split and
// any launch order give the same augmentation for the same sample.
SLUICE_HD unsigned long long sluice_sample_hash(unsigned long long seed, unsigned long long sample_id) {
    return sluice_mix64(sluice_mix64(seed) + (sample_id + 1ULL) * 0x9E3779B97F4A7C15ULL);
}

// Uniform integer in [0, range) from 32 random bits (multiply-high, no division).
SLUICE_HD int sluice_uniform(unsigned int bits, unsigned int range) {
    return (int) (((unsigned long long) bits * (unsigned long long) range) >> 32);
}

// Crop offset in the padded image, in [0, 2*pad]: rows from the high 32 bits, columns from the low 32.
SLUICE_HD int sluice_crop_offset_y(unsigned long long hash, int pad) {
    return sluice_uniform((unsigned int) (hash >> 32), 2u * (unsigned int) pad + 1u);
}

SLUICE_HD int sluice_crop_offset_x(unsigned long long hash, int pad) {
    return sluice_uniform((unsigned int) (hash & 0xFFFFFFFFULL), 2u * (unsigned int) pad + 1u);
}

// Flip decision: the top bit of a second mix, so it is independent of the crop offsets' bits.
SLUICE_HD int sluice_flip(unsigned long long hash) {
    return (int) (sluice_mix64(hash) >> 63);
}

// Byte offset of (c, y, x) inside one stored sample.
SLUICE_HD long long sluice_in_index(int layout, int h, int w, int c_count, int c, int y, int x) {
    return layout == SLUICE_LAYOUT_HWC
        ? ((long long) y * w + x) * c_count + c
        : ((long long) c * h + y) * w + x;
}

// The float a stored byte becomes: (v * (1/255) - mean) * inv_std, three IEEE single operations
// rounded in this order. nvcc must be run with -fmad=false so the multiply and subtract are not
// contracted into one fused multiply-add (Java rounds after each operation).
SLUICE_HD float sluice_normalize(unsigned int v, float mean, float inv_std) {
    float x = (float) v * SLUICE_INV255;
    x = x - mean;
    return x * inv_std;
}

// Source offsets and flip of one sample. Without crop the offset is pad (no shift); callers with
// crop off pass pad == 0 (TransformSpec enforces it), so the image is then taken unchanged.
SLUICE_HD void sluice_sample_augment(unsigned long long seed, unsigned long long sample_id,
                                     int pad, int crop, int flip, int* dy, int* dx, int* flipped) {
    const unsigned long long hash = sluice_sample_hash(seed, sample_id);
    *dy = crop ? sluice_crop_offset_y(hash, pad) : pad;
    *dx = crop ? sluice_crop_offset_x(hash, pad) : pad;
    *flipped = flip ? sluice_flip(hash) : 0;
}

// Computes output pixel (y, x) of one sample, all channels. src: the sample's stored bytes;
// dst: the sample's float32 CHW output; params: NULL for plain 1/255 scaling. The output pixel
// is read from the padded image at (y + dy, fx + dx), fx = flipped ? w - 1 - x : x, i.e. from the
// stored image at (y + dy - pad, fx + dx - pad); outside the stored image the byte is 0 (zero
// padding happens on stored bytes, before normalization, as torchvision pads).
SLUICE_HD void sluice_transform_pixel(const unsigned char* src, float* dst, int h, int w, int c_count,
                                      int layout, const SluiceChannelParams* params,
                                      int y, int x, int dy, int dx, int pad, int flipped) {
    const int fx = flipped ? (w - 1 - x) : x;
    const int sy = y + dy - pad;
    const int sx = fx + dx - pad;
    const bool inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
    const long long plane = (long long) h * w;
    const long long out_pixel = (long long) y * w + x;
    for (int c = 0; c < c_count; ++c) {
        const unsigned int v = inside ? src[sluice_in_index(layout, h, w, c_count, c, sy, sx)] : 0u;
        dst[c * plane + out_pixel] = params != 0
            ? sluice_normalize(v, params->mean[c], params->inv_std[c])
            : (float) v * SLUICE_INV255;
    }
}

#endif  // SLUICE_TRANSFORM_CUH
