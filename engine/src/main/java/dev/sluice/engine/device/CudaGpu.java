package dev.sluice.engine.device;

import dev.sluice.engine.transform.TransformKernels;
import jcuda.Pointer;
import jcuda.runtime.JCuda;
import jcuda.runtime.cudaStream_t;

/**
 * One CUDA GPU as the feeder sees it, without DJL: its primary context (shared with PyTorch through
 * the runtime API), a dedicated non-blocking copy stream, the transform kernels loaded into the
 * context, and pinned host memory. Streams and kernels belong to this object; close it last.
 *
 * <p>The compute stream is the legacy default stream, where PyTorch (and so DJL) runs unless told
 * otherwise. The copy stream is created {@code cudaStreamNonBlocking} so it never synchronizes
 * implicitly with compute: ordering between them is explicit, with events.
 *
 * <p>Every method makes the device current on the calling thread first, so replica threads and
 * the threads that close batches can call in any order.
 */
public final class CudaGpu implements AutoCloseable {

    private final GpuInfo info;
    private final cudaStream_t copyStream;
    private final PinnedAllocator pinned;
    private TransformKernels kernels;
    private boolean closed;

    private CudaGpu(GpuInfo info, cudaStream_t copyStream, PinnedAllocator pinned) {
        this.info = info;
        this.copyStream = copyStream;
        this.pinned = pinned;
    }

    /**
     * Opens GPU {@code ordinal}: makes its primary context current and creates its copy stream.
     *
     * @throws DeviceUnavailableException without CUDA, or when there is no such GPU
     */
    public static CudaGpu open(int ordinal) {
        CudaProbe.Status s = CudaProbe.system();
        if (!s.available()) {
            throw new DeviceUnavailableException("cuda:" + ordinal + " is not usable: " + s.reason()
                    + "; use --devices cpu");
        }
        if (ordinal < 0 || ordinal >= s.gpus().size()) {
            throw new DeviceUnavailableException("cuda:" + ordinal + " does not exist: this host has " + s.gpus().size()
                    + " GPU(s): " + s.describeGpus());
        }
        GpuInfo info = s.gpus().get(ordinal);
        CudaCallException.check(JCuda.cudaSetDevice(ordinal), "cudaSetDevice(" + ordinal + ")");
        // cudaFree(0) creates the primary context now, so driver-API calls (kernel loading) find it current
        CudaCallException.check(JCuda.cudaFree(new Pointer()), "initializing the CUDA context of cuda:" + ordinal);
        cudaStream_t stream = new cudaStream_t();
        CudaCallException.check(JCuda.cudaStreamCreateWithFlags(stream, JCuda.cudaStreamNonBlocking),
                "cudaStreamCreateWithFlags(non-blocking) on cuda:" + ordinal);
        return new CudaGpu(info, stream, PinnedAllocator.create());
    }

    /** {@code cuda:N}. */
    public String name() {
        return "cuda:" + info.ordinal();
    }

    public int ordinal() {
        return info.ordinal();
    }

    public GpuInfo info() {
        return info;
    }

    /** Makes this GPU's primary context current on the calling thread (cheap; thread-local). */
    public void makeCurrent() {
        CudaCallException.check(JCuda.cudaSetDevice(info.ordinal()), "cudaSetDevice(" + info.ordinal() + ")");
    }

    /** The dedicated host-to-device stream (non-blocking with respect to the legacy default stream). */
    public cudaStream_t copyStream() {
        return copyStream;
    }

    /** The stream models compute on: the legacy default stream, PyTorch's default. */
    public cudaStream_t computeStream() {
        return JCuda.cudaStreamLegacy;
    }

    /** Pinned host memory for batch buffers. */
    public PinnedAllocator pinnedAllocator() {
        return pinned;
    }

    /**
     * The transform kernels in this GPU's context, loaded (JIT-compiled from PTX by the driver) on
     * first use.
     */
    public synchronized TransformKernels kernels() {
        if (closed) {
            throw new IllegalStateException(name() + " is closed");
        }
        if (kernels == null) {
            makeCurrent();
            kernels = TransformKernels.load();
        }
        return kernels;
    }

    /** Blocks until the copy stream has finished everything queued so far. */
    public void syncCopies() {
        makeCurrent();
        CudaCallException.check(JCuda.cudaStreamSynchronize(copyStream), "cudaStreamSynchronize(copy stream of "
                + name() + ")");
    }

    /** Waits for queued copies, destroys the copy stream and unloads the kernels. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        makeCurrent();
        try {
            CudaCallException.check(JCuda.cudaStreamSynchronize(copyStream), "cudaStreamSynchronize(copy stream of "
                    + name() + ")");
            CudaCallException.check(JCuda.cudaStreamDestroy(copyStream), "cudaStreamDestroy(copy stream of "
                    + name() + ")");
        } finally {
            if (kernels != null) {
                kernels.close();
            }
        }
    }
}
