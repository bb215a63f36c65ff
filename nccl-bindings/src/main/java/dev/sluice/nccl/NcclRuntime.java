package dev.sluice.nccl;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The loaded NCCL library: creates unique ids and communicators and brackets grouped calls. Obtained
 * from {@link Nccl#load()}; holding one proves {@code libnccl.so.2} is bound. Whether a GPU is
 * present is not NCCL's question: ask the CUDA binding (the engine's {@code CudaProbe}). Thread-safe
 * (it holds no mutable state).
 */
public final class NcclRuntime {
    private final int ncclVersionCode;
    private final String ncclLibraryPath;

    NcclRuntime(int ncclVersionCode, String ncclLibraryPath) {
        this.ncclVersionCode = ncclVersionCode;
        this.ncclLibraryPath = ncclLibraryPath;
    }

    /** NCCL's version code as returned by {@code ncclGetVersion}, e.g. 22707 for 2.27.7. */
    public int ncclVersionCode() {
        return ncclVersionCode;
    }

    /** NCCL's version as text, e.g. {@code "2.27.7"}. */
    public String ncclVersion() {
        return versionString(ncclVersionCode);
    }

    /** Path of the libnccl the dynamic linker actually mapped, or the name it was asked for. */
    public String ncclLibraryPath() {
        return ncclLibraryPath;
    }

    /** One line for logs, e.g. "NCCL 2.26.2 (/opt/venv/.../nvidia/nccl/lib/libnccl.so.2)". */
    public String description() {
        return "NCCL " + ncclVersion() + " (" + ncclLibraryPath + ")";
    }

    @Override
    public String toString() {
        return description();
    }

    /**
     * Creates a new unique id ({@code ncclGetUniqueId}). Call it on one rank (the root) only and send
     * the id to every other rank; NCCL opens its bootstrap listener on this host for it.
     *
     * @throws NcclException if NCCL fails, e.g. with {@code ncclSystemError} when no usable network
     *     interface exists
     */
    public NcclUniqueId newUniqueId() {
        byte[] bytes = new byte[NcclUniqueId.BYTES];
        Natives.checkNccl(Natives.nccl().ncclGetUniqueId(bytes), "ncclGetUniqueId", null, -1, -1, null);
        return NcclUniqueId.fromBytes(bytes);
    }

    /**
     * Creates this process's member of a communicator ({@code ncclCommInitRank}) on the calling
     * thread's current CUDA device, which the caller must have made {@code device} with its CUDA
     * binding (e.g. JCuda's {@code cudaSetDevice}): NCCL reads the current device and these bindings
     * bind no CUDA runtime of their own. The device NCCL chose is checked against {@code device}. Blocks until all
     * {@code worldSize} ranks have called it with the same id; there is no timeout, so the rendezvous
     * that distributed the id should already know that every rank is alive.
     *
     * @param worldSize number of ranks in the communicator
     * @param id the id created by the root with {@link #newUniqueId()}
     * @param rank this member's rank, {@code 0 <= rank < worldSize}
     * @param device the local CUDA device this member uses
     * @throws NcclException if NCCL fails (the message names the rank and device)
     * @throws IllegalStateException if the current device was not {@code device} (the member is aborted)
     */
    public NcclCommunicator initRank(int worldSize, NcclUniqueId id, int rank, int device) {
        Objects.requireNonNull(id, "id");
        if (worldSize < 1) {
            throw new IllegalArgumentException("worldSize must be at least 1, got " + worldSize);
        }
        if (rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("rank " + rank + " is outside 0.." + (worldSize - 1));
        }
        if (device < 0) {
            throw new IllegalArgumentException("CUDA device " + device + " is negative");
        }
        NcclLibrary.UniqueIdByValue nativeId = new NcclLibrary.UniqueIdByValue();
        System.arraycopy(id.internalBytes(), 0, nativeId.internal, 0, NcclUniqueId.BYTES);
        PointerByReference comm = new PointerByReference();
        Natives.checkNccl(Natives.nccl().ncclCommInitRank(comm, worldSize, nativeId, rank), "ncclCommInitRank",
                null, rank, device, "world size " + worldSize);
        NcclCommunicator member = NcclCommunicator.wrap(comm.getValue(), "ncclCommInitRank");
        if (member.device() != device) {
            IllegalStateException e = new IllegalStateException("ncclCommInitRank of rank " + rank + " ran on"
                    + " CUDA device " + member.device() + ", not the requested " + device + ": make " + device
                    + " the calling thread's current device (cudaSetDevice) first; the member was aborted");
            try {
                member.abort();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return member;
    }

    /**
     * Creates one communicator over several local devices in one call ({@code ncclCommInitAll}):
     * element {@code i} of the result is rank {@code i}, on {@code devices[i]}. Use it for one process
     * driving several GPUs; issue collectives on several of the communicators from one thread inside
     * a {@link #group()}.
     *
     * @param devices distinct local CUDA device ordinals, at least one
     * @throws NcclException if NCCL fails
     */
    public List<NcclCommunicator> initAll(int... devices) {
        if (devices == null || devices.length == 0) {
            throw new IllegalArgumentException("ncclCommInitAll needs at least one device");
        }
        for (int d : devices) {
            if (d < 0) {
                throw new IllegalArgumentException("CUDA device " + d + " is negative");
            }
        }
        int n = devices.length;
        List<Pointer> handles = new ArrayList<>(n);
        try (Memory array = new Memory((long) n * Native.POINTER_SIZE)) {
            Natives.checkNccl(Natives.nccl().ncclCommInitAll(array, n, devices.clone()), "ncclCommInitAll", null,
                    -1, -1, "devices " + Arrays.toString(devices));
            for (int i = 0; i < n; i++) {
                handles.add(array.getPointer((long) i * Native.POINTER_SIZE));
            }
        }
        List<NcclCommunicator> result = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            try {
                result.add(NcclCommunicator.wrap(handles.get(i), "ncclCommInitAll"));
            } catch (RuntimeException e) {
                // Do not leak the members already created, nor the ones not wrapped yet.
                for (NcclCommunicator c : result) {
                    abortInto(e, c::abort);
                }
                for (int j = i + 1; j < n; j++) {
                    Pointer h = handles.get(j);
                    abortInto(e, () -> Natives.checkNccl(Natives.nccl().ncclCommAbort(h), "ncclCommAbort", h, -1,
                            -1, null));
                }
                throw e;
            }
        }
        return List.copyOf(result);
    }

    private static void abortInto(RuntimeException primary, Runnable abort) {
        try {
            abort.run();
        } catch (RuntimeException suppressed) {
            primary.addSuppressed(suppressed);
        }
    }

    /** Starts a group of NCCL calls ({@code ncclGroupStart}); prefer {@link #group()}. */
    public void groupStart() {
        Natives.checkNccl(Natives.nccl().ncclGroupStart(), "ncclGroupStart", null, -1, -1, null);
    }

    /**
     * Ends a group ({@code ncclGroupEnd}): the grouped calls are launched together. Collectives on
     * several communicators driven by one thread must be grouped, or the first one would wait forever
     * for its peers.
     */
    public void groupEnd() {
        Natives.checkNccl(Natives.nccl().ncclGroupEnd(), "ncclGroupEnd", null, -1, -1, null);
    }

    /**
     * Starts a group and returns the handle whose {@link NcclGroup#close()} ends it, for
     * try-with-resources:
     * <pre>{@code
     * try (NcclGroup g = runtime.group()) {
     *     for (int i = 0; i < comms.size(); i++) comms.get(i).allReduce(buf[i], buf[i], n, FLOAT32, SUM, streams[i]);
     * }
     * }</pre>
     */
    public NcclGroup group() {
        groupStart();
        return new NcclGroup(this);
    }

    /** NCCL version code to text; NCCL 2.9 changed the encoding from X*1000+Y*100+Z to X*10000+Y*100+Z. */
    static String versionString(int code) {
        if (code >= 10000) {
            return code / 10000 + "." + (code % 10000) / 100 + "." + code % 100;
        }
        return code / 1000 + "." + (code % 1000) / 100 + "." + code % 100;
    }
}
