package dev.sluice.nccl;

import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * Device memory and streams for the GPU tests, through JavaCPP's cudart (the engine uses JCuda; the
 * bindings only see raw addresses and handles either way). Only used after {@link Nccl#load} succeeded.
 */
final class CudaTestMemory {
    private CudaTestMemory() {
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
            Natives.checkCuda(cudart.cudaSetDevice(device), "cudaSetDevice", device, null);
            Pointer p = new Pointer();
            Natives.checkCuda(cudart.cudaMalloc(p, (long) count * Float.BYTES), "cudaMalloc", device, null);
            Natives.checkCuda(cudart.cudaMemset(p, 0, (long) count * Float.BYTES), "cudaMemset", device, null);
            Natives.checkCuda(cudart.cudaDeviceSynchronize(), "cudaDeviceSynchronize", device, null);
            return new DeviceFloats(device, p.address(), count);
        }

        static DeviceFloats upload(int device, float[] values) {
            DeviceFloats d = zeros(device, values.length);
            try (FloatPointer host = new FloatPointer(values)) {
                Natives.checkCuda(cudart.cudaMemcpy(Natives.device(d.address), host, (long) values.length * Float.BYTES,
                        cudart.cudaMemcpyHostToDevice), "cudaMemcpy H2D", device, null);
            }
            // Make the data visible to work on any stream, whatever the stream's flags.
            Natives.checkCuda(cudart.cudaDeviceSynchronize(), "cudaDeviceSynchronize", device, null);
            return d;
        }

        float[] download() {
            Natives.checkCuda(cudart.cudaSetDevice(device), "cudaSetDevice", device, null);
            Natives.checkCuda(cudart.cudaDeviceSynchronize(), "cudaDeviceSynchronize", device, null);
            float[] out = new float[count];
            try (FloatPointer host = new FloatPointer((long) count)) {
                Natives.checkCuda(cudart.cudaMemcpy(host, Natives.device(address), (long) count * Float.BYTES,
                        cudart.cudaMemcpyDeviceToHost), "cudaMemcpy D2H", device, null);
                host.get(out);
            }
            return out;
        }

        @Override
        public void close() {
            Natives.checkCuda(cudart.cudaSetDevice(device), "cudaSetDevice", device, null);
            Natives.checkCuda(cudart.cudaFree(Natives.device(address)), "cudaFree", device, null);
        }
    }

    /** A CUDA stream on one device, destroyed on close. */
    static final class DeviceStream implements AutoCloseable {
        final int device;
        private final CUstream_st stream;

        DeviceStream(int device) {
            this.device = device;
            Natives.checkCuda(cudart.cudaSetDevice(device), "cudaSetDevice", device, null);
            stream = new CUstream_st();
            Natives.checkCuda(cudart.cudaStreamCreate(stream), "cudaStreamCreate", device, null);
        }

        long handle() {
            return stream.address();
        }

        CUstream_st raw() {
            return stream;
        }

        @Override
        public void close() {
            Natives.checkCuda(cudart.cudaSetDevice(device), "cudaSetDevice", device, null);
            Natives.checkCuda(cudart.cudaStreamSynchronize(stream), "cudaStreamSynchronize", device, null);
            Natives.checkCuda(cudart.cudaStreamDestroy(stream), "cudaStreamDestroy", device, null);
        }
    }
}
