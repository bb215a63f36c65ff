package dev.sluice.nccl;

import jcuda.Pointer;
import jcuda.runtime.JCuda;
import jcuda.runtime.cudaError;
import jcuda.runtime.cudaMemcpyKind;
import jcuda.runtime.cudaStream_t;

/**
 * Device memory and streams for the GPU tests, through JCuda (test scope only): the same CUDA
 * binding the engine uses, so the bindings are tested the way they are used, with raw addresses and
 * stream handles as plain numbers. Only used where a GPU was found ({@link #deviceCount()}).
 */
final class CudaTestMemory {
    private CudaTestMemory() {
    }

    /** Visible CUDA devices, 0 without a driver (or without JCuda's natives). */
    static int deviceCount() {
        try {
            int[] count = {0};
            return JCuda.cudaGetDeviceCount(count) == cudaError.cudaSuccess ? count[0] : 0;
        } catch (LinkageError e) {
            return 0;
        }
    }

    static void check(int rc, String call, int device) {
        if (rc != cudaError.cudaSuccess) {
            throw new IllegalStateException(call + " failed on device " + device + ": " + cudaError.stringFor(rc));
        }
    }

    /** Makes {@code device} current on this thread, as NCCL's ncclCommInitRank expects. */
    static void setDevice(int device) {
        check(JCuda.cudaSetDevice(device), "cudaSetDevice", device);
    }

    /** A pointer whose raw address can be read (JCuda keeps it protected). */
    static final class Address extends Pointer {
        Address() {
        }

        Address(long address) {
            super(address);
        }

        long value() {
            return getNativePointer();
        }
    }

    /** A float array in device memory, freed on close. */
    static final class DeviceFloats implements AutoCloseable {
        final int device;
        final long address;
        final int count;

        private DeviceFloats(int device, long address, int count) {
            this.device = device;
            this.address = address;
            this.count = count;
        }

        static DeviceFloats zeros(int device, int count) {
            setDevice(device);
            Address p = new Address();
            check(JCuda.cudaMalloc(p, (long) count * Float.BYTES), "cudaMalloc", device);
            check(JCuda.cudaMemset(p, 0, (long) count * Float.BYTES), "cudaMemset", device);
            check(JCuda.cudaDeviceSynchronize(), "cudaDeviceSynchronize", device);
            return new DeviceFloats(device, p.value(), count);
        }

        static DeviceFloats upload(int device, float[] values) {
            DeviceFloats d = zeros(device, values.length);
            check(JCuda.cudaMemcpy(new Address(d.address), Pointer.to(values), (long) values.length * Float.BYTES,
                    cudaMemcpyKind.cudaMemcpyHostToDevice), "cudaMemcpy H2D", device);
            // Make the data visible to work on any stream, whatever the stream's flags.
            check(JCuda.cudaDeviceSynchronize(), "cudaDeviceSynchronize", device);
            return d;
        }

        float[] download() {
            setDevice(device);
            check(JCuda.cudaDeviceSynchronize(), "cudaDeviceSynchronize", device);
            float[] out = new float[count];
            check(JCuda.cudaMemcpy(Pointer.to(out), new Address(address), (long) count * Float.BYTES,
                    cudaMemcpyKind.cudaMemcpyDeviceToHost), "cudaMemcpy D2H", device);
            return out;
        }

        @Override
        public void close() {
            setDevice(device);
            check(JCuda.cudaFree(new Address(address)), "cudaFree", device);
        }
    }

    /** A CUDA stream on one device, destroyed on close. */
    static final class DeviceStream implements AutoCloseable {
        /** Exposes the raw cudaStream_t value (JCuda keeps it protected). */
        private static final class Handle extends cudaStream_t {
            long value() {
                return getNativePointer();
            }
        }

        final int device;
        private final Handle stream = new Handle();

        DeviceStream(int device) {
            this.device = device;
            setDevice(device);
            check(JCuda.cudaStreamCreate(stream), "cudaStreamCreate", device);
        }

        long handle() {
            return stream.value();
        }

        cudaStream_t raw() {
            return stream;
        }

        /** The question {@link NcclCommunicator#awaitStream} asks, answered by cudaStreamQuery. */
        boolean isDone(long ignored) {
            int rc = JCuda.cudaStreamQuery(stream);
            if (rc == cudaError.cudaErrorNotReady) {
                return false;
            }
            check(rc, "cudaStreamQuery", device);
            return true;
        }

        @Override
        public void close() {
            setDevice(device);
            check(JCuda.cudaStreamSynchronize(stream), "cudaStreamSynchronize", device);
            check(JCuda.cudaStreamDestroy(stream), "cudaStreamDestroy", device);
        }
    }
}
