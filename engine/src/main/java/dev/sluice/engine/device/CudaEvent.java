package dev.sluice.engine.device;

import jcuda.runtime.JCuda;
import jcuda.runtime.cudaError;
import jcuda.runtime.cudaEvent_t;
import jcuda.runtime.cudaStream_t;

/**
 * A CUDA event of the device current when it was created: recorded on a stream, waited on by
 * another stream or the host, and (when created with timing) read as elapsed time between two
 * events. Calls must happen with the event's device current.
 */
public final class CudaEvent implements AutoCloseable {

    private final cudaEvent_t event = new cudaEvent_t();
    private final boolean timing;
    private final String name;
    private boolean recorded;
    private boolean closed;

    private CudaEvent(boolean timing, String name) {
        this.timing = timing;
        this.name = name;
        int flags = timing ? JCuda.cudaEventDefault : JCuda.cudaEventDisableTiming;
        CudaCallException.check(JCuda.cudaEventCreateWithFlags(event, flags), "cudaEventCreateWithFlags for " + name);
    }

    /**
     * A new event on the current device.
     *
     * @param timing whether elapsed times can be read (timing events cost a little more to record)
     * @param name what the event marks, for error messages
     */
    public static CudaEvent create(boolean timing, String name) {
        return new CudaEvent(timing, name);
    }

    /** Records the event at the current end of {@code stream}'s work. */
    public void record(cudaStream_t stream) {
        CudaCallException.check(JCuda.cudaEventRecord(event, stream), "cudaEventRecord(" + name + ")");
        recorded = true;
    }

    /** Whether the event was ever recorded. */
    public boolean recorded() {
        return recorded;
    }

    /** Makes future work on {@code stream} wait for this event, without blocking the host. */
    public void block(cudaStream_t stream) {
        CudaCallException.check(JCuda.cudaStreamWaitEvent(stream, event, 0), "cudaStreamWaitEvent(" + name + ")");
    }

    /** Blocks the host until the recorded work is done (returns at once if never recorded). */
    public void await() {
        CudaCallException.check(JCuda.cudaEventSynchronize(event), "cudaEventSynchronize(" + name + ")");
    }

    /** Whether the recorded work is done. */
    public boolean done() {
        int rc = JCuda.cudaEventQuery(event);
        if (rc == cudaError.cudaErrorNotReady) {
            return false;
        }
        CudaCallException.check(rc, "cudaEventQuery(" + name + ")");
        return true;
    }

    /**
     * Device time from {@code start} to this event, in nanoseconds (the driver's resolution is
     * about half a microsecond; negative when this event completed first). Waits for both events
     * first. Both events must have timing.
     */
    public long nanosSince(CudaEvent start) {
        if (!timing || !start.timing) {
            throw new IllegalStateException("elapsed time needs two timing events: " + start.name + " -> " + name);
        }
        start.await();
        await();
        float[] ms = {0f};
        CudaCallException.check(JCuda.cudaEventElapsedTime(ms, start.event, event),
                "cudaEventElapsedTime(" + start.name + " -> " + name + ")");
        return Math.round(ms[0] * 1e6);
    }

    /** The JCuda handle. */
    public cudaEvent_t handle() {
        return event;
    }

    /** Destroys the event (the driver frees it once pending work completes). Idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            CudaCallException.check(JCuda.cudaEventDestroy(event), "cudaEventDestroy(" + name + ")");
        }
    }
}
