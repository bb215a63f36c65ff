package dev.sluice.nccl;

import com.sun.jna.Pointer;

/**
 * Glue between raw handles ({@code long} device addresses, {@code cudaStream_t} and communicator
 * values) and JNA, and the mapping of result codes to exceptions. Holds the bound library once
 * {@link Nccl#load} succeeded: nothing here touches native code before that.
 */
final class Natives {
    private static volatile NcclLibrary library;

    private Natives() {
    }

    /** Records the library bound by {@link NativeLoader}. */
    static void bind(NcclLibrary loaded) {
        library = loaded;
    }

    /** The bound library. */
    static NcclLibrary nccl() {
        NcclLibrary l = library;
        if (l == null) {
            throw new IllegalStateException("NCCL is not loaded: call Nccl.load() first");
        }
        return l;
    }

    /** JNA view of a device address or stream handle; 0 becomes NULL (the legacy default stream). */
    static Pointer pointer(long address) {
        return address == 0 ? null : new Pointer(address);
    }

    /** The raw value of a JNA pointer; 0 for NULL. */
    static long address(Pointer p) {
        return Pointer.nativeValue(p);
    }

    /** Throws {@link NcclException} unless {@code result} is {@code ncclSuccess}. */
    static void checkNccl(int result, String operation, Pointer comm, int rank, int device, String detail) {
        if (result != NcclResult.SUCCESS.code()) {
            throw ncclException(result, operation, comm, rank, device, detail);
        }
    }

    /** The exception for a failed NCCL call, with NCCL's error string and last error message. */
    static NcclException ncclException(int result, String operation, Pointer comm, int rank, int device,
            String detail) {
        NcclLibrary l = nccl();
        String errorString = text(l.ncclGetErrorString(result));
        // ncclGetLastError ignores its argument in current NCCL versions; passing the comm is forward compatible.
        String lastError = text(l.ncclGetLastError(comm));
        return new NcclException(result, operation, rank, device, errorString, lastError, detail);
    }

    private static String text(String s) {
        return s == null ? "" : s;
    }
}
