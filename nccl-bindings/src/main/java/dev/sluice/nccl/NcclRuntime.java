package dev.sluice.nccl;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.cuda.global.nccl;
import org.bytedeco.cuda.nccl.ncclComm;
import org.bytedeco.cuda.nccl.ncclUniqueId;
import org.bytedeco.javacpp.PointerPointer;

/**
 * The loaded NCCL library: creates unique ids and communicators and brackets grouped calls. Obtained
 * from {@link Nccl#load()}; holding one proves the natives are loaded and a CUDA device is visible.
 * Thread-safe (it holds no mutable state).
 */
public final class NcclRuntime {
    private final int ncclVersionCode;
    private final int cudaRuntimeVersion;
    private final int cudaDriverVersion;
    private final int deviceCount;
    private final String ncclLibraryPath;

    NcclRuntime(int ncclVersionCode, int cudaRuntimeVersion, int cudaDriverVersion, int deviceCount,
            String ncclLibraryPath) {
        this.ncclVersionCode = ncclVersionCode;
        this.cudaRuntimeVersion = cudaRuntimeVersion;
        this.cudaDriverVersion = cudaDriverVersion;
        this.deviceCount = deviceCount;
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

    /** {@code cudaRuntimeGetVersion}, e.g. 13000 for CUDA 13.0. */
    public int cudaRuntimeVersion() {
        return cudaRuntimeVersion;
    }

    /** {@code cudaDriverGetVersion}: the newest CUDA version the driver supports, e.g. 13000. */
    public int cudaDriverVersion() {
        return cudaDriverVersion;
    }

    /** Number of visible CUDA devices ({@code cudaGetDeviceCount}), at least 1. */
    public int deviceCount() {
        return deviceCount;
    }

    /** Path of the libnccl the dynamic linker actually mapped, or "?" if it could not be determined. */
    public String ncclLibraryPath() {
        return ncclLibraryPath;
    }

    /** One line for logs, e.g. "NCCL 2.27.7 (/usr/lib/.../libnccl.so.2.27.7), CUDA runtime 13.0, driver 13.0, 8 devices". */
    public String description() {
        return "NCCL " + ncclVersion() + " (" + ncclLibraryPath + "), CUDA runtime " + cudaVersion(cudaRuntimeVersion)
                + ", driver " + cudaVersion(cudaDriverVersion) + ", " + deviceCount
                + (deviceCount == 1 ? " device" : " devices");
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
        try (ncclUniqueId id = new ncclUniqueId()) {
            Natives.checkNccl(nccl.ncclGetUniqueId(id), "ncclGetUniqueId", null, -1, -1, null);
            byte[] bytes = new byte[NcclUniqueId.BYTES];
            id.internal().get(bytes, 0, bytes.length);
            return NcclUniqueId.fromBytes(bytes);
        }
    }

    /**
     * Creates this process's member of a communicator ({@code ncclCommInitRank}). Makes {@code device}
     * the calling thread's current CUDA device first, as NCCL requires. Blocks until all
     * {@code worldSize} ranks have called it with the same id; there is no timeout, so the rendezvous
     * that distributed the id should already know that every rank is alive.
     *
     * @param worldSize number of ranks in the communicator
     * @param id the id created by the root with {@link #newUniqueId()}
     * @param rank this member's rank, {@code 0 <= rank < worldSize}
     * @param device the local CUDA device this member uses
     * @throws NcclException if NCCL fails (the message names the rank and device)
     * @throws CudaException if the device cannot be selected
     */
    public NcclCommunicator initRank(int worldSize, NcclUniqueId id, int rank, int device) {
        Objects.requireNonNull(id, "id");
        if (worldSize < 1) {
            throw new IllegalArgumentException("worldSize must be at least 1, got " + worldSize);
        }
        if (rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("rank " + rank + " is outside 0.." + (worldSize - 1));
        }
        checkDevice(device);
        Natives.checkCuda(cudart.cudaSetDevice(device), "cudaSetDevice", device,
                "before ncclCommInitRank of rank " + rank);
        ncclComm comm = new ncclComm();
        try (ncclUniqueId nativeId = new ncclUniqueId()) {
            nativeId.internal().put(id.internalBytes(), 0, NcclUniqueId.BYTES);
            Natives.checkNccl(nccl.ncclCommInitRank(comm, worldSize, nativeId, rank), "ncclCommInitRank", null,
                    rank, device, "world size " + worldSize);
        }
        return NcclCommunicator.wrap(comm, "ncclCommInitRank");
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
            checkDevice(d);
        }
        int n = devices.length;
        List<ncclComm> handles = new ArrayList<>(n);
        try (PointerPointer<ncclComm> array = new PointerPointer<>((long) n)) {
            Natives.checkNccl(nccl.ncclCommInitAll(array, n, devices.clone()), "ncclCommInitAll", null, -1, -1,
                    "devices " + Arrays.toString(devices));
            for (int i = 0; i < n; i++) {
                handles.add(array.get(ncclComm.class, i));
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
                    ncclComm h = handles.get(j);
                    abortInto(e, () -> Natives.checkNccl(nccl.ncclCommAbort(h), "ncclCommAbort", h, -1, -1, null));
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
        Natives.checkNccl(nccl.ncclGroupStart(), "ncclGroupStart", null, -1, -1, null);
    }

    /**
     * Ends a group ({@code ncclGroupEnd}): the grouped calls are launched together. Collectives on
     * several communicators driven by one thread must be grouped, or the first one would wait forever
     * for its peers.
     */
    public void groupEnd() {
        Natives.checkNccl(nccl.ncclGroupEnd(), "ncclGroupEnd", null, -1, -1, null);
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

    private void checkDevice(int device) {
        if (device < 0 || device >= deviceCount) {
            throw new IllegalArgumentException("CUDA device " + device + " does not exist; " + deviceCount
                    + " visible (0.." + (deviceCount - 1) + ", see CUDA_VISIBLE_DEVICES)");
        }
    }

    /** NCCL version code to text; NCCL 2.9 changed the encoding from X*1000+Y*100+Z to X*10000+Y*100+Z. */
    static String versionString(int code) {
        if (code >= 10000) {
            return code / 10000 + "." + (code % 10000) / 100 + "." + code % 100;
        }
        return code / 1000 + "." + (code % 1000) / 100 + "." + code % 100;
    }

    /** CUDA version code (1000*major + 10*minor) to text. */
    static String cudaVersion(int code) {
        return code / 1000 + "." + (code % 1000) / 10;
    }
}
