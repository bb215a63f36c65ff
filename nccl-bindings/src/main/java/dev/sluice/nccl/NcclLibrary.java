package dev.sluice.nccl;

import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;

/**
 * The NCCL C API ({@code nccl.h}) as JNA sees it: only {@code libnccl.so.2}, no CUDA runtime
 * wrapper. Device buffers, streams and communicators are opaque pointers; {@code size_t} counts are
 * {@code long} (64-bit Linux only, as checked by the loader). Bound by {@link NativeLoader}.
 */
interface NcclLibrary extends Library {

    /** {@code ncclUniqueId} passed by value: a struct of 128 chars. */
    @Structure.FieldOrder("internal")
    final class UniqueIdByValue extends Structure implements Structure.ByValue {
        public byte[] internal = new byte[NcclUniqueId.BYTES];
    }

    int ncclGetVersion(IntByReference version);

    String ncclGetErrorString(int result);

    String ncclGetLastError(Pointer comm);

    int ncclGetUniqueId(byte[] uniqueId);

    int ncclCommInitRank(PointerByReference comm, int nranks, UniqueIdByValue commId, int rank);

    int ncclCommInitAll(Pointer comms, int ndev, int[] devlist);

    int ncclCommUserRank(Pointer comm, IntByReference rank);

    int ncclCommCount(Pointer comm, IntByReference count);

    int ncclCommCuDevice(Pointer comm, IntByReference device);

    int ncclCommGetAsyncError(Pointer comm, IntByReference asyncError);

    int ncclCommAbort(Pointer comm);

    int ncclCommDestroy(Pointer comm);

    int ncclGroupStart();

    int ncclGroupEnd();

    int ncclAllReduce(Pointer sendbuff, Pointer recvbuff, long count, int datatype, int op, Pointer comm,
            Pointer stream);

    int ncclBroadcast(Pointer sendbuff, Pointer recvbuff, long count, int datatype, int root, Pointer comm,
            Pointer stream);

    int ncclReduceScatter(Pointer sendbuff, Pointer recvbuff, long recvcount, int datatype, int op, Pointer comm,
            Pointer stream);

    int ncclAllGather(Pointer sendbuff, Pointer recvbuff, long sendcount, int datatype, Pointer comm,
            Pointer stream);

}
