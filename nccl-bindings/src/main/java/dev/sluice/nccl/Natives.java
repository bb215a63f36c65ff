package dev.sluice.nccl;

import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.cuda.global.nccl;
import org.bytedeco.cuda.nccl.ncclComm;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;

/**
 * Glue between raw handles ({@code long} device addresses and {@code cudaStream_t} values) and
 * JavaCPP's pointer types, and the mapping of result codes to exceptions. Only used after
 * {@link Nccl#load} succeeded: every method here may call into the natives.
 */
final class Natives {
    private Natives() {
    }

    /** A JavaCPP pointer at a raw address, without ownership (nothing is freed when it is collected). */
    private static final class RawPointer extends Pointer {
        RawPointer(long address) {
            this.address = address;
        }
    }

    /** A {@code cudaStream_t} made from a raw handle, e.g. one created with JCuda. */
    private static final class RawStream extends CUstream_st {
        RawStream(long handle) {
            this.address = handle;
        }
    }

    /** JavaCPP view of a device address. */
    static Pointer device(long address) {
        return new RawPointer(address);
    }

    /** JavaCPP view of a stream handle; 0 is the legacy default stream. */
    static CUstream_st stream(long handle) {
        return new RawStream(handle);
    }

    /** Throws {@link NcclException} unless {@code result} is {@code ncclSuccess}. */
    static void checkNccl(int result, String operation, ncclComm comm, int rank, int device, String detail) {
        if (result != nccl.ncclSuccess) {
            throw ncclException(result, operation, comm, rank, device, detail);
        }
    }

    /** The exception for a failed NCCL call, with NCCL's error string and last error message. */
    static NcclException ncclException(int result, String operation, ncclComm comm, int rank, int device,
            String detail) {
        String errorString = string(nccl.ncclGetErrorString(result));
        // ncclGetLastError ignores its argument in current NCCL versions; passing the comm is forward compatible.
        String lastError = string(nccl.ncclGetLastError(comm));
        return new NcclException(result, operation, rank, device, errorString, lastError, detail);
    }

    /** Throws {@link CudaException} unless {@code error} is {@code cudaSuccess}. */
    static void checkCuda(int error, String operation, int device, String detail) {
        if (error != cudart.cudaSuccess) {
            throw cudaException(error, operation, device, detail);
        }
    }

    /** The exception for a failed CUDA runtime call, with CUDA's error name and description. */
    static CudaException cudaException(int error, String operation, int device, String detail) {
        return new CudaException(error, string(cudart.cudaGetErrorName(error)),
                string(cudart.cudaGetErrorString(error)), operation, device, detail);
    }

    /** A C string as Java text; empty for NULL. */
    static String string(BytePointer p) {
        return p == null || p.isNull() ? "" : p.getString();
    }
}
