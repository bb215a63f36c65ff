package dev.sluice.engine.nvjpeg;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import dev.sluice.data.image.DecodedImage;
import dev.sluice.data.image.ImageDecodeException;
import dev.sluice.data.image.ImageDecoder;
import dev.sluice.engine.device.CudaCallException;
import dev.sluice.engine.device.DevicePointer;
import java.nio.ByteBuffer;
import java.util.function.Supplier;
import jcuda.runtime.JCuda;
import jcuda.runtime.cudaMemcpyKind;
import jcuda.runtime.cudaStream_t;

/**
 * Decodes JPEGs on a GPU with nvJPEG ({@code nvjpegDecode}, interleaved RGB into device memory
 * allocated through JCuda) and copies the pixels back to pinned host memory, so it honours the same
 * {@link DecodedImage} contract as the CPU decoders and the loader's CPU crop/resize runs unchanged.
 * Images nvJPEG does not read (PNG, CMYK and other JPEGs it reports unsupported) go to a CPU decoder,
 * counted by {@link #cpuFallbacks()}.
 *
 * <p>One instance per thread, like every {@link ImageDecoder}: it owns an nvJPEG handle and state, a
 * non-blocking CUDA stream, and output buffers that grow to the largest image seen, all released by
 * {@link #close()}. The copy back to the host is the simple path; decoding straight into the device
 * batch (skipping two PCIe trips) is future work.
 */
public final class NvjpegDecoder implements ImageDecoder {

    /** A JCuda stream whose raw handle can be handed to nvJPEG. */
    private static final class Stream extends cudaStream_t {
        long handle() {
            return getNativePointer();
        }
    }

    private final NvjpegLibrary lib;
    private final int device;
    private final Supplier<ImageDecoder> cpuFactory;
    private final DecodedImage out = new DecodedImage();
    private final NvjpegImage image = new NvjpegImage();
    // nComponents, subsampling, widths[4], heights[4]: filled by nvjpegGetImageInfo
    private final Memory info = new Memory(4L * (2 + 2 * NvjpegLibrary.MAX_COMPONENT));
    private final Pointer subsampling = info.share(4);
    private final Pointer widths = info.share(8);
    private final Pointer heights = info.share(8 + 4L * NvjpegLibrary.MAX_COMPONENT);
    private final Pointer handle;
    private final Pointer state;
    private final Stream stream = new Stream();
    private final Pointer streamHandle;
    private Memory input = new Memory(64 << 10);
    private ByteBuffer inputView = input.getByteBuffer(0, input.size());
    private DevicePointer deviceOut;
    private long deviceBytes;
    private DevicePointer hostOut;
    private ByteBuffer hostPixels;
    private ImageDecoder cpu;
    private long cpuFallbacks;
    private boolean closed;

    /**
     * Creates the nvJPEG handle, state and stream on GPU {@code device}.
     *
     * @param cpuFactory the decoder for images nvJPEG does not read (made on first need)
     * @throws dev.sluice.engine.device.DeviceUnavailableException without libnvjpeg or a GPU; the
     *     message says what is missing and how to provide it
     */
    public NvjpegDecoder(int device, Supplier<ImageDecoder> cpuFactory) {
        this.lib = Nvjpeg.library();
        this.device = device;
        this.cpuFactory = cpuFactory;
        makeCurrent();
        PointerByReference h = new PointerByReference();
        NvjpegException.check(lib.nvjpegCreateSimple(h), "nvjpegCreateSimple");
        this.handle = h.getValue();
        PointerByReference s = new PointerByReference();
        int rc = lib.nvjpegJpegStateCreate(handle, s);
        if (rc != NvjpegStatus.SUCCESS) {
            lib.nvjpegDestroy(handle);
            throw new NvjpegException("nvjpegJpegStateCreate", rc);
        }
        this.state = s.getValue();
        rc = JCuda.cudaStreamCreateWithFlags(stream, JCuda.cudaStreamNonBlocking);
        if (rc != 0) {
            lib.nvjpegJpegStateDestroy(state);
            lib.nvjpegDestroy(handle);
            CudaCallException.check(rc, "cudaStreamCreateWithFlags(non-blocking) for nvJPEG on cuda:" + device);
        }
        this.streamHandle = new Pointer(stream.handle());
    }

    @Override
    public String name() {
        return "nvjpeg";
    }

    /** Images handed to the CPU decoder since this decoder was made (PNGs, JPEGs nvJPEG does not support). */
    public long cpuFallbacks() {
        return cpuFallbacks;
    }

    @Override
    public DecodedImage decode(ByteBuffer buf, int offset, int n) throws ImageDecodeException {
        if (closed) {
            throw new IllegalStateException("nvJPEG decoder is closed");
        }
        if (n == 0) {
            throw new ImageDecodeException("nvJPEG was given 0 bytes to decode");
        }
        if (n < 3 || buf.get(offset) != (byte) 0xFF || buf.get(offset + 1) != (byte) 0xD8) {
            return onCpu(buf, offset, n); // not a JPEG (start-of-image marker missing): PNG, or bad bytes
        }
        if (input.size() < n) {
            long size = Math.max(n, input.size() * 3 / 2);
            input.close();
            input = new Memory(size);
            inputView = input.getByteBuffer(0, input.size());
        }
        inputView.put(0, buf, offset, n);
        makeCurrent();
        int rc = lib.nvjpegGetImageInfo(handle, input, n, info, subsampling, widths, heights);
        if (NvjpegStatus.badImage(rc)) {
            throw new ImageDecodeException("nvJPEG could not read " + n + " bytes: " + NvjpegStatus.name(rc)
                    + " (corrupt or truncated JPEG)");
        }
        if (NvjpegStatus.unsupported(rc)) {
            return onCpu(buf, offset, n);
        }
        NvjpegException.check(rc, "nvjpegGetImageInfo");
        int components = info.getInt(0);
        int w = widths.getInt(0); // component 0 is luma (or grey): the image's full size
        int h = heights.getInt(0);
        if (components != 1 && components != 3) {
            return onCpu(buf, offset, n); // CMYK/YCCK: the CPU decoders convert them
        }
        long bytes = 3L * w * h;
        if (w <= 0 || h <= 0 || bytes > Integer.MAX_VALUE) {
            throw new ImageDecodeException("nvJPEG read an image of " + w + "x" + h + " pixels, which is empty or"
                    + " larger than 2 GiB of RGB");
        }
        ensureCapacity(bytes);
        image.interleaved(deviceOut.address(), 3L * w);
        rc = lib.nvjpegDecode(handle, state, input, n, NvjpegLibrary.NVJPEG_OUTPUT_RGBI, image, streamHandle);
        if (NvjpegStatus.badImage(rc)) {
            throw new ImageDecodeException("nvJPEG could not decode " + n + " bytes (" + w + "x" + h + "): "
                    + NvjpegStatus.name(rc));
        }
        if (NvjpegStatus.unsupported(rc)) {
            return onCpu(buf, offset, n);
        }
        NvjpegException.check(rc, "nvjpegDecode(" + w + "x" + h + ") on cuda:" + device);
        CudaCallException.check(JCuda.cudaMemcpyAsync(hostOut, deviceOut, bytes, cudaMemcpyKind.cudaMemcpyDeviceToHost,
                stream), "cudaMemcpyAsync(" + bytes + " bytes, nvJPEG output to host) on cuda:" + device);
        CudaCallException.check(JCuda.cudaStreamSynchronize(stream), "cudaStreamSynchronize(nvJPEG stream) on cuda:"
                + device);
        out.set(hostPixels, w, h, false);
        return out;
    }

    private DecodedImage onCpu(ByteBuffer buf, int offset, int n) throws ImageDecodeException {
        if (cpu == null) {
            cpu = cpuFactory.get();
        }
        cpuFallbacks++;
        return cpu.decode(buf, offset, n);
    }

    private void makeCurrent() {
        CudaCallException.check(JCuda.cudaSetDevice(device), "cudaSetDevice(" + device + ") for nvJPEG");
    }

    /** Grows the device output and its pinned host twin to at least {@code bytes} (by half again, to settle fast). */
    private void ensureCapacity(long bytes) {
        if (bytes <= deviceBytes) {
            return;
        }
        long size = Math.min(Integer.MAX_VALUE, Math.max(bytes, deviceBytes * 3 / 2));
        freeBuffers();
        DevicePointer d = new DevicePointer();
        CudaCallException.check(JCuda.cudaMalloc(d, size), "cudaMalloc(" + size + " bytes) for nvJPEG output on cuda:"
                + device);
        DevicePointer hst = new DevicePointer();
        int rc = JCuda.cudaHostAlloc(hst, size, JCuda.cudaHostAllocDefault);
        if (rc != 0) {
            JCuda.cudaFree(d);
            CudaCallException.check(rc, "cudaHostAlloc(" + size + " bytes) for nvJPEG output");
        }
        deviceOut = d;
        hostOut = hst;
        hostPixels = hst.getByteBuffer(0, size);
        deviceBytes = size;
    }

    private void freeBuffers() {
        if (deviceOut != null) {
            DevicePointer d = deviceOut;
            DevicePointer h = hostOut;
            deviceOut = null;
            hostOut = null;
            hostPixels = null;
            deviceBytes = 0;
            // both are attempted whatever the first one says
            RuntimeException failure = attempt(null, () -> CudaCallException.check(JCuda.cudaFree(d),
                    "cudaFree(nvJPEG output) on cuda:" + device));
            failure = attempt(failure, () -> CudaCallException.check(JCuda.cudaFreeHost(h), "cudaFreeHost(nvJPEG output)"));
            if (failure != null) {
                throw failure;
            }
        }
    }

    /** Runs {@code step}; a failure is returned (added to {@code first} if there was one) instead of thrown. */
    private static RuntimeException attempt(RuntimeException first, Runnable step) {
        try {
            step.run();
            return first;
        } catch (RuntimeException e) {
            if (first == null) {
                return e;
            }
            first.addSuppressed(e);
            return first;
        }
    }

    /** Frees the buffers, stream, state and handle, and the CPU fallback. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            // every release is attempted even if an earlier one fails (a sticky CUDA error after a bad
            // decode must not leak the rest); the first failure is thrown with the others suppressed
            RuntimeException failure = attempt(null, this::makeCurrent);
            failure = attempt(failure, () -> CudaCallException.check(JCuda.cudaStreamSynchronize(stream),
                    "cudaStreamSynchronize(nvJPEG stream)"));
            failure = attempt(failure, this::freeBuffers);
            failure = attempt(failure, () -> CudaCallException.check(JCuda.cudaStreamDestroy(stream),
                    "cudaStreamDestroy(nvJPEG stream)"));
            failure = attempt(failure, () -> NvjpegException.check(lib.nvjpegJpegStateDestroy(state),
                    "nvjpegJpegStateDestroy"));
            failure = attempt(failure, () -> NvjpegException.check(lib.nvjpegDestroy(handle), "nvjpegDestroy"));
            if (failure != null) {
                throw failure;
            }
        } finally {
            input.close();
            info.close();
            if (cpu != null) {
                cpu.close();
            }
        }
    }
}
