package dev.sluice.nccl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sluice.nccl.CudaTestMemory.DeviceFloats;
import dev.sluice.nccl.CudaTestMemory.DeviceStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import jcuda.runtime.JCuda;
import jcuda.runtime.cudaMemcpyKind;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Real NCCL on real devices: known buffers through all-reduce, broadcast, all-gather and
 * reduce-scatter over every visible device (one is enough; more make the reductions non-trivial),
 * checked value for value. Skipped unless a CUDA device and libnccl.so.2 are present.
 */
class NcclGpuTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    /** ncclCommInitAll over more devices than this only makes the test slower. */
    private static final int MAX_DEVICES = 8;

    private static NcclAvailability availability;
    private static NcclRuntime runtime;

    private final List<AutoCloseable> resources = new ArrayList<>();

    @BeforeAll
    static void loadOnce() {
        availability = Nccl.availability(TestNccl.options());
        runtime = availability.available() ? Nccl.load(TestNccl.options()) : null;
    }

    @BeforeEach
    void requireCudaAndNccl() {
        // Per test rather than in @BeforeAll, so every skipped test is reported with the reason.
        // -Dsluice.requireGpu=true (the GPU kit) turns a skip into a failure.
        requireGpu(CudaTestMemory.deviceCount() > 0, "no CUDA device (JCuda finds none)");
        requireGpu(availability.available(), "no libnccl.so.2: " + availability.message());
    }

    private static void requireGpu(boolean condition, String why) {
        if (!condition && Boolean.getBoolean("sluice.requireGpu")) {
            org.junit.jupiter.api.Assertions.fail("GPU required (-Dsluice.requireGpu=true) but: " + why);
        }
        assumeTrue(condition, why);
    }

    @AfterEach
    void release() throws Exception {
        // Reverse order of creation; every test has waited for its streams, so nothing is in flight.
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
        resources.clear();
    }

    private <T extends AutoCloseable> T track(T resource) {
        resources.add(resource);
        return resource;
    }

    private static int[] localDevices() {
        int n = Math.min(CudaTestMemory.deviceCount(), MAX_DEVICES);
        int[] devices = new int[n];
        for (int i = 0; i < n; i++) {
            devices[i] = i;
        }
        return devices;
    }

    private List<NcclCommunicator> initAll(int[] devices) {
        List<NcclCommunicator> comms = runtime.initAll(devices);
        for (int i = 0; i < comms.size(); i++) {
            NcclCommunicator c = track(comms.get(i));
            assertEquals(i, c.rank());
            assertEquals(devices.length, c.size());
            assertEquals(devices[i], c.device());
        }
        return comms;
    }

    private List<DeviceStream> streams(int[] devices) {
        List<DeviceStream> streams = new ArrayList<>();
        for (int d : devices) {
            streams.add(track(new DeviceStream(d)));
        }
        return streams;
    }

    private static void awaitAll(List<NcclCommunicator> comms, List<DeviceStream> streams) throws InterruptedException {
        for (int i = 0; i < comms.size(); i++) {
            comms.get(i).awaitStream(streams.get(i).handle(), WAIT, streams.get(i)::isDone);
            assertEquals(Optional.empty(), comms.get(i).asyncError());
        }
    }

    @Test
    void allReduceSumsKnownBuffersOnEveryDevice() throws InterruptedException {
        int[] devices = localDevices();
        int n = devices.length;
        int count = 4096;
        List<NcclCommunicator> comms = initAll(devices);
        List<DeviceStream> streams = streams(devices);
        List<DeviceFloats> send = new ArrayList<>();
        List<DeviceFloats> recv = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            float[] values = new float[count];
            for (int i = 0; i < count; i++) {
                values[i] = (r + 1) * (i % 97 + 1);
            }
            send.add(track(DeviceFloats.upload(devices[r], values)));
            recv.add(track(DeviceFloats.zeros(devices[r], count)));
        }

        // One thread drives every communicator, so the calls must be grouped.
        try (NcclGroup group = runtime.group()) {
            for (int r = 0; r < n; r++) {
                comms.get(r).allReduce(send.get(r).address, recv.get(r).address, count, NcclDataType.FLOAT32,
                        NcclRedOp.SUM, streams.get(r).handle());
            }
        }
        awaitAll(comms, streams);

        float rankSum = n * (n + 1) / 2f;
        float[] expected = new float[count];
        for (int i = 0; i < count; i++) {
            expected[i] = rankSum * (i % 97 + 1);
        }
        for (int r = 0; r < n; r++) {
            assertArrayEquals(expected, recv.get(r).download(), 0f, "rank " + r);
        }
    }

    @Test
    void broadcastCopiesTheRootsBufferToEveryRank() throws InterruptedException {
        int[] devices = localDevices();
        int n = devices.length;
        int root = n - 1;
        int count = 1000;
        List<NcclCommunicator> comms = initAll(devices);
        List<DeviceStream> streams = streams(devices);
        float[] rootValues = new float[count];
        for (int i = 0; i < count; i++) {
            rootValues[i] = i * 0.5f - 17f;
        }
        List<DeviceFloats> send = new ArrayList<>();
        List<DeviceFloats> recv = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            float[] values = r == root ? rootValues : new float[count];
            if (r != root) {
                java.util.Arrays.fill(values, -1f); // must not leak into anyone's result
            }
            send.add(track(DeviceFloats.upload(devices[r], values)));
            recv.add(track(DeviceFloats.zeros(devices[r], count)));
        }
        try (NcclGroup group = runtime.group()) {
            for (int r = 0; r < n; r++) {
                comms.get(r).broadcast(send.get(r).address, recv.get(r).address, count, NcclDataType.FLOAT32, root,
                        streams.get(r).handle());
            }
        }
        awaitAll(comms, streams);
        for (int r = 0; r < n; r++) {
            assertArrayEquals(rootValues, recv.get(r).download(), 0f, "rank " + r);
        }
    }

    @Test
    void allGatherAndReduceScatterPlaceBlocksByRank() throws InterruptedException {
        int[] devices = localDevices();
        int n = devices.length;
        int block = 256;
        List<NcclCommunicator> comms = initAll(devices);
        List<DeviceStream> streams = streams(devices);

        List<DeviceFloats> gatherSend = new ArrayList<>();
        List<DeviceFloats> gatherRecv = new ArrayList<>();
        List<DeviceFloats> scatterSend = new ArrayList<>();
        List<DeviceFloats> scatterRecv = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            float[] mine = new float[block];
            for (int k = 0; k < block; k++) {
                mine[k] = r * 1000 + k;
            }
            gatherSend.add(track(DeviceFloats.upload(devices[r], mine)));
            gatherRecv.add(track(DeviceFloats.zeros(devices[r], block * n)));
            float[] full = new float[block * n];
            for (int j = 0; j < full.length; j++) {
                full[j] = (r + 1) * (j + 1);
            }
            scatterSend.add(track(DeviceFloats.upload(devices[r], full)));
            scatterRecv.add(track(DeviceFloats.zeros(devices[r], block)));
        }
        try (NcclGroup group = runtime.group()) {
            for (int r = 0; r < n; r++) {
                comms.get(r).allGather(gatherSend.get(r).address, gatherRecv.get(r).address, block,
                        NcclDataType.FLOAT32, streams.get(r).handle());
                comms.get(r).reduceScatter(scatterSend.get(r).address, scatterRecv.get(r).address, block,
                        NcclDataType.FLOAT32, NcclRedOp.SUM, streams.get(r).handle());
            }
        }
        awaitAll(comms, streams);

        float[] gathered = new float[block * n];
        for (int r = 0; r < n; r++) {
            for (int k = 0; k < block; k++) {
                gathered[r * block + k] = r * 1000 + k;
            }
        }
        float rankSum = n * (n + 1) / 2f;
        for (int r = 0; r < n; r++) {
            assertArrayEquals(gathered, gatherRecv.get(r).download(), 0f, "all-gather on rank " + r);
            float[] expected = new float[block];
            for (int k = 0; k < block; k++) {
                expected[k] = rankSum * (r * block + k + 1);
            }
            assertArrayEquals(expected, scatterRecv.get(r).download(), 0f, "reduce-scatter on rank " + r);
        }
    }

    @Test
    void initRankWithAUniqueIdSentAsText() throws InterruptedException {
        NcclUniqueId created = runtime.newUniqueId();
        NcclUniqueId received = NcclUniqueId.fromBase64(created.toBase64()); // what the rendezvous would carry
        assertEquals(created, received);

        CudaTestMemory.setDevice(0); // NCCL joins on the current device
        NcclCommunicator comm = track(runtime.initRank(1, received, 0, 0));
        assertEquals(0, comm.rank());
        assertEquals(1, comm.size());
        assertEquals(0, comm.device());
        DeviceStream stream = track(new DeviceStream(0));
        float[] values = {3f, -1f, 7.5f, 0f};
        DeviceFloats buffer = track(DeviceFloats.upload(0, values));
        comm.allReduce(buffer.address, buffer.address, values.length, NcclDataType.FLOAT32, NcclRedOp.MAX,
                stream.handle()); // in place; with one rank the values stay
        comm.awaitStream(stream.handle(), WAIT, stream::isDone);
        assertArrayEquals(values, buffer.download(), 0f);

        comm.close();
        assertFalse(comm.isOpen());
        IllegalStateException closed = assertThrows(IllegalStateException.class, () -> comm.allReduce(
                buffer.address, buffer.address, values.length, NcclDataType.FLOAT32, NcclRedOp.SUM, stream.handle()));
        assertTrue(closed.getMessage().contains("destroyed"), closed.getMessage());
        comm.close(); // idempotent
        comm.abort(); // no-op after close
    }

    @Test
    void duplicateDevicesFailWithATypedException() {
        NcclException e = assertThrows(NcclException.class, () -> runtime.initAll(0, 0));
        assertEquals("ncclCommInitAll", e.operation());
        assertTrue(e.result().isPresent(), e.getMessage());
        NcclResult result = e.result().get();
        assertTrue(result == NcclResult.INVALID_USAGE || result == NcclResult.INVALID_ARGUMENT, e.getMessage());
        assertTrue(e.getMessage().contains(result.ncclName()), e.getMessage());
        assertTrue(e.getMessage().contains("devices [0, 0]"), e.getMessage());
        assertFalse(e.errorString().isBlank(), "NCCL's own error string is carried");
    }

    @Test
    void awaitStreamTimesOutAndAbortsTheCommunicator() {
        NcclCommunicator comm = track(runtime.initAll(0).get(0));
        DeviceStream stream = track(new DeviceStream(0));
        // Keep the stream busy for milliseconds with large device-to-device copies (no kernels needed),
        // then wait with a zero timeout: the first poll already sees the stream busy.
        int floats = 64 << 20; // 256 MiB
        DeviceFloats a = track(DeviceFloats.zeros(0, floats));
        DeviceFloats b = track(DeviceFloats.zeros(0, floats));
        for (int i = 0; i < 32; i++) {
            CudaTestMemory.check(JCuda.cudaMemcpyAsync(new CudaTestMemory.Address(b.address),
                    new CudaTestMemory.Address(a.address), (long) floats * Float.BYTES,
                    cudaMemcpyKind.cudaMemcpyDeviceToDevice, stream.raw()), "cudaMemcpyAsync", 0);
        }
        NcclException e = assertThrows(NcclException.class, () -> comm.awaitStream(stream.handle(), Duration.ZERO, stream::isDone));
        assertEquals(Optional.of(NcclResult.TIMEOUT), e.result());
        assertEquals("awaitStream", e.operation());
        assertTrue(e.getMessage().contains("communicator aborted"), e.getMessage());
        assertFalse(comm.isOpen(), "a timed-out communicator is aborted");
        assertThrows(IllegalStateException.class, comm::asyncError);
        comm.abort(); // idempotent
        CudaTestMemory.check(JCuda.cudaStreamSynchronize(stream.raw()), "cudaStreamSynchronize", 0);
    }
}
