package dev.sluice.engine.collective;

import java.util.concurrent.CountDownLatch;
import dev.sluice.engine.device.GpuAssumptions;
import dev.sluice.engine.device.CudaProbe;
import dev.sluice.engine.device.DeviceBuffer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.engine.collective.CollectiveException.Reason;
import dev.sluice.nccl.Nccl;
import dev.sluice.nccl.NcclAvailability;
import dev.sluice.nccl.NcclRuntime;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link NcclCollective} on real GPUs: known buffers in device memory (cudaMalloc through JavaCPP,
 * no DJL) through all-reduce, broadcast and barrier on 1..N local devices, created both ways
 * (ncclCommInitAll, and a unique id sent over the TCP rendezvous), checked value for value and
 * bit for bit across ranks. Skipped unless a CUDA device and libnccl.so.2 are present.
 *
 * <p>Runs without Maven from JUnit's console launcher on a GPU host, e.g.:
 * <pre>
 * java -jar junit-platform-console-standalone.jar -cp engine/target/test-classes:engine/target/classes:JARS \
 *     --select-class dev.sluice.engine.collective.NcclCollectiveGpuTest
 * </pre>
 * with JavaCPP, its cuda preset (both with their linux-x86_64 jars) and nccl-bindings in JARS; see
 * docs/ALLREDUCE.md. Set SLUICE_NCCL_LIB when libnccl.so.2 is not on LD_LIBRARY_PATH.
 */
class NcclCollectiveGpuTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final int MAX_DEVICES = 8;
    /** Not a multiple of anything NCCL chunks by, so the tail of the buffer is exercised too. */
    private static final int COUNT = 1_000_003;

    private static NcclAvailability availability;
    private static NcclRuntime runtime;

    @BeforeAll
    static void loadOnce() {
        availability = Nccl.availability(TestNccl.options());
        runtime = availability.available() ? Nccl.load(TestNccl.options()) : null;
    }

    @BeforeEach
    void requireCudaAndNccl() {
        GpuAssumptions.gpus(1);
        GpuAssumptions.assume(availability.available(), () -> "no libnccl.so.2: " + availability.message());
    }

    private static int deviceCount() {
        return Math.min(CudaProbe.system().gpus().size(), MAX_DEVICES);
    }

    private static int[] firstDevices(int n) {
        int[] d = new int[n];
        for (int i = 0; i < n; i++) {
            d[i] = i;
        }
        return d;
    }

    static float value(int rank, int i) {
        return (rank + 1) * (i % 97 + 1);
    }

    private static ByteBuffer host(int bytes) {
        return Ranks.direct(bytes);
    }

    /**
     * Every rank: SUM (exact for these small integers), AVG, MAX, broadcast from the last rank and a
     * barrier, on device buffers; returns the SUM result's bytes for the cross-rank comparison.
     */
    private static byte[] exercise(Collective c, int device) throws Exception {
        int r = c.rank();
        int n = c.worldSize();
        ByteBuffer in = host(4 * COUNT);
        for (int i = 0; i < COUNT; i++) {
            in.putFloat(4 * i, value(r, i));
        }
        try (DeviceBuffer d = DeviceBuffer.allocate(device, 4 * COUNT)) {
            ByteBuffer view = d.view();

            d.upload(in.duplicate().clear());
            c.allReduce(view, ElementType.FLOAT32, ReduceOp.SUM);
            c.synchronize();
            ByteBuffer out = host(4 * COUNT);
            d.download(out.duplicate().clear());
            float rankSum = n * (n + 1) / 2f;
            for (int i = 0; i < COUNT; i++) {
                float expected = rankSum * (i % 97 + 1);
                if (out.getFloat(4 * i) != expected) {
                    throw new AssertionError("SUM on rank " + r + " of " + n + ", element " + i + ": "
                            + out.getFloat(4 * i) + " != " + expected);
                }
            }
            byte[] sumBytes = new byte[4 * COUNT];
            out.duplicate().clear().get(sumBytes);

            d.upload(in.duplicate().clear());
            c.allReduce(view, ElementType.FLOAT32, ReduceOp.AVG);
            c.synchronize();
            d.download(out.duplicate().clear());
            for (int i = 0; i < COUNT; i++) {
                float expected = (n + 1) / 2f * (i % 97 + 1);
                if (Math.abs(out.getFloat(4 * i) - expected) > 1e-5f * expected) {
                    throw new AssertionError("AVG on rank " + r + ", element " + i + ": " + out.getFloat(4 * i)
                            + " != " + expected);
                }
            }

            // MAX on a region that starts inside the buffer: the address arithmetic must hold
            d.upload(in.duplicate().clear());
            ByteBuffer middle = view.duplicate().position(4 * 1000).limit(4 * 2000);
            c.allReduce(middle, ElementType.FLOAT32, ReduceOp.MAX);
            c.synchronize();
            d.download(out.duplicate().clear());
            for (int i = 0; i < COUNT; i++) {
                float expected = i >= 1000 && i < 2000 ? value(n - 1, i) : value(r, i);
                if (out.getFloat(4 * i) != expected) {
                    throw new AssertionError("MAX on rank " + r + ", element " + i + ": " + out.getFloat(4 * i)
                            + " != " + expected + " (only elements 1000..1999 may change)");
                }
            }

            d.upload(in.duplicate().clear());
            c.broadcast(view, n - 1);
            c.barrier(); // waits for the stream too
            d.download(out.duplicate().clear());
            for (int i = 0; i < COUNT; i++) {
                if (out.getFloat(4 * i) != value(n - 1, i)) {
                    throw new AssertionError("broadcast on rank " + r + ", element " + i);
                }
            }
            return sumBytes;
        }
    }

    private static void runOnEveryRank(List<NcclCollective> members, List<byte[]> results) throws Exception {
        byte[][] out = new byte[members.size()][];
        Ranks.run(members, c -> out[c.rank()] = exercise(c, ((NcclCollective) c).device()));
        for (byte[] b : out) {
            results.add(b);
        }
    }

    @Test
    void allReduceBroadcastAndBarrierOnOneToAllLocalDevices() throws Exception {
        for (int n = 1; n <= deviceCount(); n++) {
            List<NcclCollective> members = NcclCollective.local(runtime, TIMEOUT, firstDevices(n));
            List<byte[]> results = new ArrayList<>();
            try {
                for (int r = 0; r < n; r++) {
                    assertEquals(r, members.get(r).rank());
                    assertEquals(n, members.get(r).worldSize());
                    assertEquals(r, members.get(r).device());
                    assertTrue(members.get(r).describe().contains("nccl, rank " + r + " of " + n),
                            members.get(r).describe());
                }
                runOnEveryRank(members, results);
            } finally {
                Ranks.closeAll(members);
            }
            for (int r = 1; r < n; r++) {
                assertArrayEquals(results.get(0), results.get(r), "rank " + r + " of " + n + " differs from rank 0");
            }
        }
    }

    @Test
    void joinSendsTheUniqueIdOverTheTcpRendezvous() throws Exception {
        int n = deviceCount(); // one rank per device: NCCL refuses two ranks on one device
        List<TcpCollective> bootstrap = TcpCollective.loopback(n, TcpOptions.of("127.0.0.1", 0, 0, n)
                .withRendezvousTimeout(Duration.ofSeconds(30)).withOperationTimeout(Duration.ofSeconds(60)));
        NcclCollective[] members = new NcclCollective[n];
        try {
            // ncclCommInitRank blocks until every rank joined: one thread per rank, as processes would
            Ranks.run(bootstrap, b -> members[b.rank()] = NcclCollective.join(runtime, b, b.rank(), TIMEOUT));
            List<NcclCollective> list = List.of(members);
            for (int r = 0; r < n; r++) {
                assertEquals(r, members[r].rank());
                assertEquals(n, members[r].worldSize());
                assertTrue(members[r].describe().contains("ncclCommInitRank via tcp"), members[r].describe());
            }
            List<byte[]> results = new ArrayList<>();
            runOnEveryRank(list, results);
            for (int r = 1; r < n; r++) {
                assertArrayEquals(results.get(0), results.get(r), "rank " + r + " differs from rank 0");
            }
        } finally {
            for (NcclCollective m : members) {
                if (m != null) {
                    m.close();
                }
            }
            Ranks.closeAll(bootstrap);
        }
    }

    @Test
    void hostMemoryIsRejectedBeforeItReachesNccl() throws Exception {
        NcclCollective c = NcclCollective.local(runtime, TIMEOUT, 0).get(0);
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> c.allReduce(Ranks.direct(4096), ElementType.FLOAT32, ReduceOp.SUM));
            assertTrue(e.getMessage().contains("host memory") && e.getMessage().contains("device 0"), e.getMessage());
            c.barrier(); // nothing was enqueued: still usable
            try (DeviceBuffer d = DeviceBuffer.allocate(0, 64)) {
                c.allReduce(d.view(), ElementType.INT32, ReduceOp.SUM);
                c.synchronize();
            }
        } finally {
            c.close();
        }
        CollectiveException closed = assertThrows(CollectiveException.class, c::barrier);
        assertEquals(Reason.CLOSED, closed.reason());
        c.close(); // idempotent
    }

    @Test
    void aRankThatNeverCallsMakesTheOthersTimeOutAndCloseUnblocksAWaiter() throws Exception {
        GpuAssumptions.gpus(2); // one rank waits for another that never calls
        List<NcclCollective> members = NcclCollective.local(runtime, Duration.ofSeconds(2), 0, 1);
        try (DeviceBuffer d = DeviceBuffer.allocate(0, 4096)) {
            NcclCollective lonely = members.get(0);
            lonely.allReduce(d.view(), ElementType.FLOAT32, ReduceOp.SUM); // rank 1 never joins in
            long t0 = System.nanoTime();
            CollectiveException e = assertThrows(CollectiveException.class, lonely::synchronize);
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertEquals(Reason.TIMEOUT, e.reason(), e.getMessage());
            assertTrue(ms >= 1500 && ms < 20_000, ms + " ms for a 2 s timeout");
            assertEquals(Reason.CLOSED, assertThrows(CollectiveException.class, lonely::barrier).reason());
        } finally {
            Ranks.closeAll(members);
        }

        members = NcclCollective.local(runtime, Duration.ofMinutes(5), 0, 1);
        try (DeviceBuffer d = DeviceBuffer.allocate(0, 4096)) {
            NcclCollective waiter = members.get(0);
            CountDownLatch enqueued = new CountDownLatch(1);
            CompletableFuture<Throwable> waiting = CompletableFuture.supplyAsync(() -> {
                try {
                    waiter.allReduce(d.view(), ElementType.FLOAT32, ReduceOp.SUM);
                    enqueued.countDown();
                    waiter.synchronize();
                    return null;
                } catch (Throwable t) {
                    enqueued.countDown();
                    return t;
                }
            });
            // Closed once the all-reduce is in flight: whether the owner is already parked in
            // synchronize() (close interrupts it) or about to enter it (it finds the collective
            // closed), it must come back with CLOSED at once.
            assertTrue(enqueued.await(30, TimeUnit.SECONDS), "the all-reduce was never enqueued");
            long t0 = System.nanoTime();
            waiter.close(); // from another thread, as the trainer does after a failure elsewhere
            Throwable t = waiting.get(30, TimeUnit.SECONDS);
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertNotNull(t, "the all-reduce cannot have completed without rank 1");
            CollectiveException e = assertInstanceOf(CollectiveException.class, t);
            assertEquals(Reason.CLOSED, e.reason(), e.getMessage());
            assertTrue(ms < 5000, "close took " + ms + " ms to unblock the waiter");
        } finally {
            Ranks.closeAll(members);
        }
    }
}
