package dev.sluice.engine.nvjpeg;

import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;

/**
 * The few nvJPEG calls the decoder makes, bound with JNA to {@code libnvjpeg.so.12} alone (no CUDA
 * runtime binding: device memory and streams come from JCuda, passed here as raw pointers).
 * Signatures from NVIDIA's {@code nvjpeg.h}; every function returns an {@code nvjpegStatus_t}
 * ({@link NvjpegStatus}). {@code size_t} is a Java {@code long}: the loader accepts linux-x86_64
 * only, where both are 64 bits.
 */
interface NvjpegLibrary extends Library {

    /** {@code libraryPropertyType} from CUDA's {@code library_types.h}. */
    int MAJOR_VERSION = 0;
    int MINOR_VERSION = 1;
    int PATCH_LEVEL = 2;

    /** {@code nvjpegOutputFormat_t}: interleaved RGB written to {@code channel[0]}. */
    int NVJPEG_OUTPUT_RGBI = 5;

    /** {@code NVJPEG_MAX_COMPONENT}: the length of nvJPEG's per-component arrays. */
    int MAX_COMPONENT = 4;

    /** {@code nvjpegGetProperty(libraryPropertyType type, int *value)}. */
    int nvjpegGetProperty(int type, IntByReference value);

    /** {@code nvjpegCreateSimple(nvjpegHandle_t *handle)}: default backend and allocators (cudaMalloc). */
    int nvjpegCreateSimple(PointerByReference handle);

    /** {@code nvjpegDestroy(nvjpegHandle_t handle)}. */
    int nvjpegDestroy(Pointer handle);

    /** {@code nvjpegJpegStateCreate(nvjpegHandle_t handle, nvjpegJpegState_t *jpeg_handle)}. */
    int nvjpegJpegStateCreate(Pointer handle, PointerByReference state);

    /** {@code nvjpegJpegStateDestroy(nvjpegJpegState_t jpeg_handle)}. */
    int nvjpegJpegStateDestroy(Pointer state);

    /**
     * {@code nvjpegGetImageInfo(handle, const unsigned char *data, size_t length, int *nComponents,
     * nvjpegChromaSubsampling_t *subsampling, int *widths, int *heights)}; {@code widths} and
     * {@code heights} point to {@link #MAX_COMPONENT} ints each. Host memory only.
     */
    int nvjpegGetImageInfo(Pointer handle, Pointer data, long length, Pointer nComponents, Pointer subsampling,
            Pointer widths, Pointer heights);

    /**
     * {@code nvjpegDecode(handle, nvjpegJpegState_t jpeg_handle, const unsigned char *data, size_t length,
     * nvjpegOutputFormat_t output_format, nvjpegImage_t *destination, cudaStream_t stream)}: the
     * bytes are in host memory, the destination planes in device memory; the GPU work is queued on
     * {@code stream}.
     */
    int nvjpegDecode(Pointer handle, Pointer state, Pointer data, long length, int outputFormat,
            NvjpegImage destination, Pointer stream);
}
