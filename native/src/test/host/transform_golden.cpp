// Copyright Sluice contributors. Licensed under the Apache License, Version 2.0.
//
// Host build of the kernels' per-pixel math (sluice_transform.cuh) over fixed inputs: prints the
// per-sample augmentation decisions and the CRC32 of each case's float32 output. The Java twin's
// test (dev.sluice.data.transform.CrossLanguageGoldenTest) asserts the same numbers, which ties the
// CUDA C source to the Java code on machines without a GPU. Run native/src/test/host/run.sh.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "sluice_transform.cuh"

namespace {

uint32_t crc32_update(uint32_t crc, const unsigned char* data, size_t len) {
    crc = ~crc;
    for (size_t i = 0; i < len; ++i) {
        crc ^= data[i];
        for (int k = 0; k < 8; ++k) {
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        }
    }
    return ~crc;
}

struct Case {
    const char* name;
    int layout, h, w, c;
    float mean[4], std[4];
    int normalize, pad, crop, flip;
    unsigned long long seed, first;
    int n;
};

// Mirrors the kernels: for each sample, its augmentation, then every output pixel.
uint32_t run_case(const Case& k) {
    const long long per_sample = (long long) k.h * k.w * k.c;
    std::vector<unsigned char> in(per_sample * k.n);
    for (size_t i = 0; i < in.size(); ++i) {
        in[i] = (unsigned char) (sluice_mix64(i + 12345ULL) >> 56);
    }
    std::vector<float> out(per_sample * k.n);
    SluiceChannelParams params;
    std::memset(&params, 0, sizeof params);
    for (int c = 0; c < k.c; ++c) {
        params.mean[c] = k.mean[c];
        params.inv_std[c] = 1.0f / k.std[c];
    }
    const bool augment = k.crop || k.flip;
    for (int s = 0; s < k.n; ++s) {
        int dy = 0, dx = 0, flipped = 0;
        if (augment) {
            sluice_sample_augment(k.seed, k.first + s, k.pad, k.crop, k.flip, &dy, &dx, &flipped);
        }
        for (int y = 0; y < k.h; ++y) {
            for (int x = 0; x < k.w; ++x) {
                sluice_transform_pixel(in.data() + s * per_sample, out.data() + s * per_sample, k.h, k.w,
                                       k.c, k.layout, k.normalize ? &params : nullptr, y, x, dy, dx,
                                       augment ? k.pad : 0, flipped);
            }
        }
    }
    // little-endian float bytes, as the Java test writes them
    std::vector<unsigned char> bytes(out.size() * 4);
    for (size_t i = 0; i < out.size(); ++i) {
        uint32_t b;
        std::memcpy(&b, &out[i], 4);
        for (int j = 0; j < 4; ++j) bytes[i * 4 + j] = (unsigned char) (b >> (8 * j));
    }
    return crc32_update(0, bytes.data(), bytes.size());
}

}  // namespace

int main() {
    std::printf("decisions seed=42 pad=4 (sample: dy dx flip)\n");
    for (unsigned long long id = 0; id < 8; ++id) {
        int dy, dx, f;
        sluice_sample_augment(42ULL, id, 4, 1, 1, &dy, &dx, &f);
        std::printf("  %llu: %d %d %d\n", id, dy, dx, f);
    }
    std::printf("hash(7, 3) = 0x%016llx\n", sluice_sample_hash(7ULL, 3ULL));
    const Case cases[] = {
        {"convert-hwc", SLUICE_LAYOUT_HWC, 5, 7, 3, {0, 0, 0, 0}, {1, 1, 1, 1}, 0, 0, 0, 0, 0, 0, 3},
        {"convert-chw", SLUICE_LAYOUT_CHW, 5, 7, 3, {0, 0, 0, 0}, {1, 1, 1, 1}, 0, 0, 0, 0, 0, 0, 3},
        {"normalize-hwc", SLUICE_LAYOUT_HWC, 6, 4, 3, {0.4914f, 0.4822f, 0.4465f, 0}, {0.247f, 0.243f, 0.261f, 1},
         1, 0, 0, 0, 0, 0, 4},
        {"augment-hwc", SLUICE_LAYOUT_HWC, 8, 8, 3, {0.485f, 0.456f, 0.406f, 0}, {0.229f, 0.224f, 0.225f, 1},
         1, 4, 1, 1, 42, 1000, 16},
        {"augment-chw", SLUICE_LAYOUT_CHW, 9, 5, 4, {0.1f, 0.2f, 0.3f, 0.4f}, {0.5f, 0.6f, 0.7f, 0.8f},
         1, 2, 1, 1, 0xDEADBEEFCAFEULL, 77, 9},
        {"flip-only-gray", SLUICE_LAYOUT_CHW, 3, 6, 1, {0.5f, 0, 0, 0}, {0.25f, 1, 1, 1}, 1, 0, 0, 1, 5, 0, 12},
    };
    for (const Case& k : cases) {
        std::printf("crc %-16s 0x%08x\n", k.name, run_case(k));
    }
    return 0;
}
