package dev.sluice.engine.collective;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.sluice.engine.collective.CollectiveException.Reason;

/** Behaviour every CPU {@link Collective} implementation must have; subclasses supply the group. */
abstract class CollectiveContractTest {

    /** 17 × 59: not divisible by 2, 3 or 4, so segments and slices have uneven sizes. */
    static final int ODD_COUNT = 1003;

    /** A group of {@code n} ranks whose operations give up after {@code timeout} without progress. */
    abstract List<? extends Collective> create(int n, Duration timeout) throws Exception;

    List<? extends Collective> create(int n) throws Exception {
        return create(n, Duration.ofSeconds(60));
    }

    static float value(int rank, int i) {
        return rank * 1000 + (i % 997) - 500;
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4})
    void sumAndAverageOfFloat32AreExactOnEveryRank(int n) throws Exception {
        List<? extends Collective> group = create(n);
        try {
            float[] sum = new float[ODD_COUNT];
            for (int i = 0; i < ODD_COUNT; i++) {
                for (int r = 0; r < n; r++) {
                    sum[i] += value(r, i);
                }
            }
            ByteBuffer[] sums = new ByteBuffer[n];
            ByteBuffer[] avgs = new ByteBuffer[n];
            Ranks.run(group, c -> {
                int r = c.rank();
                ByteBuffer s = Ranks.direct(4 * ODD_COUNT);
                ByteBuffer a = Ranks.direct(4 * ODD_COUNT);
                for (int i = 0; i < ODD_COUNT; i++) {
                    s.putFloat(4 * i, value(r, i));
                    a.putFloat(4 * i, value(r, i));
                }
                c.allReduce(s, ElementType.FLOAT32, ReduceOp.SUM);
                c.allReduce(a, ElementType.FLOAT32, ReduceOp.AVG);
                assertEquals(0, s.position());
                assertEquals(4 * ODD_COUNT, s.limit());
                sums[r] = s;
                avgs[r] = a;
            });
            for (int r = 0; r < n; r++) {
                for (int i = 0; i < ODD_COUNT; i++) {
                    assertEquals(sum[i], sums[r].getFloat(4 * i), "sum, rank " + r + " element " + i);
                    assertEquals(sum[i] / n, avgs[r].getFloat(4 * i), "avg, rank " + r + " element " + i);
                }
            }
        } finally {
            Ranks.closeAll(group);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void integerAndDoubleTypesWithEveryOp(int n) throws Exception {
        List<? extends Collective> group = create(n);
        try {
            int count = 37;
            Ranks.run(group, c -> {
                int r = c.rank();
                ByteBuffer d = Ranks.direct(8 * count);
                ByteBuffer i32 = Ranks.direct(4 * count);
                ByteBuffer maxL = Ranks.direct(8 * count);
                ByteBuffer minL = Ranks.direct(8 * count);
                ByteBuffer u8sum = Ranks.direct(count);
                ByteBuffer u8max = Ranks.direct(count);
                ByteBuffer u8avg = Ranks.direct(count);
                ByteBuffer fmin = Ranks.direct(4 * count);
                for (int i = 0; i < count; i++) {
                    d.putDouble(8 * i, 0.5 * r + i);
                    i32.putInt(4 * i, Integer.MAX_VALUE - 1 + r); // the sum wraps around
                    maxL.putLong(8 * i, (long) (i - r) << 40);
                    minL.putLong(8 * i, (long) (i - r) << 40);
                    u8sum.put(i, (byte) 200);
                    u8max.put(i, (byte) (r == 1 ? 0xF0 : i)); // 0xF0 is larger unsigned, negative signed
                    u8avg.put(i, (byte) (10 * r + 1));
                    fmin.putFloat(4 * i, r == 0 ? -0.0f : 0.0f);
                }
                c.allReduce(d, ElementType.FLOAT64, ReduceOp.SUM);
                c.allReduce(i32, ElementType.INT32, ReduceOp.SUM);
                c.allReduce(maxL, ElementType.INT64, ReduceOp.MAX);
                c.allReduce(minL, ElementType.INT64, ReduceOp.MIN);
                c.allReduce(u8sum, ElementType.UINT8, ReduceOp.SUM);
                c.allReduce(u8max, ElementType.UINT8, ReduceOp.MAX);
                c.allReduce(u8avg, ElementType.UINT8, ReduceOp.AVG);
                c.allReduce(fmin, ElementType.FLOAT32, ReduceOp.MIN);
                int wrapped = 0;
                int avgSum = 0;
                double dsum = 0;
                for (int k = 0; k < n; k++) {
                    wrapped += Integer.MAX_VALUE - 1 + k;
                    avgSum += 10 * k + 1;
                }
                for (int i = 0; i < count; i++) {
                    dsum = 0;
                    for (int k = 0; k < n; k++) {
                        dsum += 0.5 * k + i;
                    }
                    assertEquals(dsum, d.getDouble(8 * i), "FLOAT64 SUM element " + i);
                    assertEquals(wrapped, i32.getInt(4 * i), "INT32 SUM wraps like Java int");
                    assertEquals((long) i << 40, maxL.getLong(8 * i), "INT64 MAX");
                    assertEquals((long) (i - (n - 1)) << 40, minL.getLong(8 * i), "INT64 MIN");
                    assertEquals((byte) (200 * n), u8sum.get(i), "UINT8 SUM wraps modulo 256");
                    assertEquals((byte) 0xF0, u8max.get(i), "UINT8 MAX compares unsigned");
                    assertEquals((byte) ((avgSum & 0xFF) / n), u8avg.get(i), "UINT8 AVG");
                    assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(fmin.getFloat(4 * i)),
                            "FLOAT32 MIN orders -0.0 below 0.0");
                }
            });
        } finally {
            Ranks.closeAll(group);
        }
    }

    @Test
    void onlyTheRegionIsReducedAndElementsAreNativeOrderWhateverTheBufferSays() throws Exception {
        List<? extends Collective> group = create(2);
        try {
            Ranks.run(group, c -> {
                ByteBuffer whole = ByteBuffer.allocateDirect(64).order(ByteOrder.BIG_ENDIAN);
                for (int i = 0; i < 64; i++) {
                    whole.put(i, (byte) 0x5A);
                }
                ByteBuffer nativeView = whole.duplicate().order(ByteOrder.nativeOrder());
                for (int i = 0; i < 7; i++) {
                    nativeView.putFloat(12 + 4 * i, i + 0.25f * c.rank());
                }
                whole.position(12).limit(12 + 28);
                c.allReduce(whole, ElementType.FLOAT32, ReduceOp.SUM);
                assertEquals(12, whole.position());
                assertEquals(40, whole.limit());
                for (int i = 0; i < 7; i++) {
                    assertEquals(2 * i + 0.25f, nativeView.getFloat(12 + 4 * i), "element " + i);
                }
                for (int i = 0; i < 64; i++) {
                    if (i < 12 || i >= 40) {
                        assertEquals((byte) 0x5A, nativeView.get(i), "byte " + i + " outside the region changed");
                    }
                }
                // the same buffer object with another region: cached views must follow the region
                whole.position(0).limit(8);
                nativeView.putFloat(0, 1f);
                nativeView.putFloat(4, 2f);
                c.allReduce(whole, ElementType.FLOAT32, ReduceOp.MAX);
                assertEquals(1f, nativeView.getFloat(0));
                assertEquals(2f, nativeView.getFloat(4));
                whole.limit(16).position(12);
                c.allReduce(whole, ElementType.FLOAT32, ReduceOp.SUM);
                assertEquals(0.5f, nativeView.getFloat(12), "0.25 on both ranks, summed again");
                assertEquals(2.25f, nativeView.getFloat(16), "outside the second region: unchanged");
            });
        } finally {
            Ranks.closeAll(group);
        }
    }

    /** Random floats of mixed magnitudes: summation order matters, yet every rank ends equal. */
    static float[][] randomInputs(int n, int count, long seed) {
        float[][] in = new float[n][count];
        for (int r = 0; r < n; r++) {
            SplittableRandom random = new SplittableRandom(seed + r);
            for (int i = 0; i < count; i++) {
                in[r][i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(7) - 3));
            }
        }
        return in;
    }

    /** All-reduces the inputs on every rank and returns each rank's result. */
    static float[][] allReduce(List<? extends Collective> group, float[][] inputs, ReduceOp op) throws Exception {
        int n = group.size();
        int count = inputs[0].length;
        float[][] out = new float[n][count];
        Ranks.run(group, c -> {
            ByteBuffer b = Ranks.direct(4 * count);
            b.asFloatBuffer().put(inputs[c.rank()]);
            c.allReduce(b, ElementType.FLOAT32, op);
            b.asFloatBuffer().get(out[c.rank()]);
        });
        return out;
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4})
    void resultsAreBitIdenticalOnEveryRank(int n) throws Exception {
        List<? extends Collective> group = create(n);
        try {
            int count = 10_007;
            float[][] inputs = randomInputs(n, count, 42);
            for (ReduceOp op : new ReduceOp[] {ReduceOp.SUM, ReduceOp.AVG}) {
                float[][] out = allReduce(group, inputs, op);
                for (int r = 1; r < n; r++) {
                    assertArrayEquals(bits(out[0]), bits(out[r]), op + ": rank " + r + " differs from rank 0");
                }
                for (int i = 0; i < count; i++) {
                    double exact = 0;
                    double magnitude = 0;
                    for (int r = 0; r < n; r++) {
                        exact += inputs[r][i];
                        magnitude += Math.abs(inputs[r][i]);
                    }
                    if (op == ReduceOp.AVG) {
                        exact /= n;
                        magnitude /= n;
                    }
                    assertEquals(exact, out[0][i], 1e-6 * magnitude + 1e-30, op + " element " + i);
                }
                float[][] again = allReduce(group, inputs, op);
                assertArrayEquals(bits(out[0]), bits(again[0]), op + ": a second run gave other bits");
            }
        } finally {
            Ranks.closeAll(group);
        }
    }

    static int[] bits(float[] values) {
        int[] b = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = Float.floatToRawIntBits(values[i]);
        }
        return b;
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4})
    void broadcastCopiesTheRootsRegionToEveryRank(int n) throws Exception {
        List<? extends Collective> group = create(n);
        try {
            int bytes = 100_003;
            Ranks.run(group, c -> {
                ByteBuffer b = Ranks.direct(bytes + 10);
                for (int root = 0; root < n; root++) {
                    for (int i = 0; i < bytes + 10; i++) {
                        b.put(i, c.rank() == root ? (byte) (i * 31 + root) : (byte) -1);
                    }
                    b.position(5).limit(5 + bytes);
                    c.broadcast(b, root);
                    assertEquals(5, b.position());
                    for (int i = 5; i < 5 + bytes; i++) {
                        if (b.get(i) != (byte) (i * 31 + root)) {
                            throw new AssertionError("root " + root + ": rank " + c.rank() + " byte " + i);
                        }
                    }
                    b.clear();
                    if (c.rank() != root) {
                        assertEquals((byte) -1, b.get(4), "byte before the region changed");
                        assertEquals((byte) -1, b.get(5 + bytes), "byte after the region changed");
                    }
                }
            });
        } finally {
            Ranks.closeAll(group);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void noRankLeavesABarrierBeforeEveryRankEntered(int n) throws Exception {
        List<? extends Collective> group = create(n);
        try {
            int rounds = 100;
            AtomicIntegerArray entered = new AtomicIntegerArray(rounds);
            AtomicIntegerArray seenAfter = new AtomicIntegerArray(rounds);
            Ranks.run(group, c -> {
                for (int round = 0; round < rounds; round++) {
                    if (c.rank() == round % n) {
                        // the last rank in each round does some work first, so the others wait for it
                        double x = 0;
                        for (int k = 0; k < 20_000; k++) {
                            x += Math.sqrt(k);
                        }
                        assertTrue(x > 0);
                    }
                    entered.incrementAndGet(round);
                    c.barrier();
                    if (entered.get(round) != n) {
                        seenAfter.incrementAndGet(round);
                    }
                }
            });
            for (int round = 0; round < rounds; round++) {
                assertEquals(0, seenAfter.get(round), "round " + round + ": a rank left the barrier early");
            }
        } finally {
            Ranks.closeAll(group);
        }
    }

    @Test
    void differentCallsOnDifferentRanksFailWithCallMismatch() throws Exception {
        List<? extends Collective> group = create(2);
        try {
            Throwable[] out = Ranks.outcomes(group, c -> {
                ByteBuffer b = Ranks.direct(c.rank() == 0 ? 16 : 32);
                c.allReduce(b, ElementType.FLOAT32, ReduceOp.SUM);
            });
            for (int r = 0; r < 2; r++) {
                CollectiveException e = assertInstanceOf(CollectiveException.class, out[r], "rank " + r);
                assertEquals(Reason.CALL_MISMATCH, e.reason(), e.getMessage());
                assertTrue(e.getMessage().contains("16 bytes") && e.getMessage().contains("32 bytes"),
                        e.getMessage());
            }
        } finally {
            Ranks.closeAll(group);
        }
    }

    @Test
    void aRankThatLeavesMakesTheOthersFailFastNamingIt() throws Exception {
        List<? extends Collective> group = create(3, Duration.ofSeconds(60));
        try {
            CountDownLatch othersStarted = new CountDownLatch(2);
            long start = System.nanoTime();
            Throwable[] out = Ranks.outcomes(group, c -> {
                if (c.rank() == 2) {
                    othersStarted.await(10, TimeUnit.SECONDS);
                    c.close();
                    return;
                }
                othersStarted.countDown();
                ByteBuffer b = Ranks.direct(4 << 20);
                c.allReduce(b, ElementType.FLOAT32, ReduceOp.SUM);
            });
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(ms < 5000, "took " + ms + " ms, the operation timeout is 60 s");
            assertNull(out[2]);
            CollectiveException e0 = assertInstanceOf(CollectiveException.class, out[0]);
            assertEquals(Reason.PEER_FAILED, e0.reason(), e0.getMessage());
            assertEquals(2, e0.peerRank(), e0.getMessage());
            assertTrue(e0.getMessage().contains("rank 2"), e0.getMessage());
            CollectiveException e1 = assertInstanceOf(CollectiveException.class, out[1]);
            assertEquals(Reason.PEER_FAILED, e1.reason(), e1.getMessage());
            assertTrue(e1.peerRank() == 2 || e1.peerRank() == 0, e1.getMessage());
            // and the collective stays failed instead of hanging on the next call
            CollectiveException again = assertThrows(CollectiveException.class,
                    () -> group.get(0).allReduce(Ranks.direct(16), ElementType.FLOAT32, ReduceOp.SUM));
            assertNotNull(again.getMessage());
        } finally {
            Ranks.closeAll(group);
        }
    }

    @Test
    void aRankThatNeverCallsMakesTheOthersTimeOutNamingIt() throws Exception {
        List<? extends Collective> group = create(2, Duration.ofMillis(300));
        try {
            CountDownLatch done = new CountDownLatch(1);
            long start = System.nanoTime();
            Throwable[] out = Ranks.outcomes(group, c -> {
                if (c.rank() == 1) {
                    done.await(10, TimeUnit.SECONDS); // alive but stuck, until rank 0 gives up
                    return;
                }
                try {
                    c.allReduce(Ranks.direct(64), ElementType.FLOAT32, ReduceOp.SUM);
                } finally {
                    done.countDown();
                }
            });
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            CollectiveException e = assertInstanceOf(CollectiveException.class, out[0]);
            assertEquals(Reason.TIMEOUT, e.reason(), e.getMessage());
            assertEquals(1, e.peerRank(), e.getMessage());
            assertTrue(e.getMessage().contains("rank 1"), e.getMessage());
            assertTrue(ms >= 300 && ms < 5000, "took " + ms + " ms");
        } finally {
            Ranks.closeAll(group);
        }
    }

    @Test
    void badArgumentsAreRejectedBeforeAnyCommunication() throws Exception {
        List<? extends Collective> group = create(1);
        try {
            Collective c = group.get(0);
            assertEquals(0, c.rank());
            assertEquals(1, c.worldSize());
            assertThrows(IllegalArgumentException.class,
                    () -> c.allReduce(ByteBuffer.allocate(16), ElementType.FLOAT32, ReduceOp.SUM));
            assertThrows(IllegalArgumentException.class,
                    () -> c.allReduce(Ranks.direct(10), ElementType.FLOAT32, ReduceOp.SUM));
            assertThrows(IllegalArgumentException.class,
                    () -> c.allReduce(Ranks.direct(16).asReadOnlyBuffer(), ElementType.FLOAT32, ReduceOp.SUM));
            assertThrows(IllegalArgumentException.class, () -> c.broadcast(Ranks.direct(16), 1));
            // a single rank is its own result
            ByteBuffer b = Ranks.direct(8);
            b.putFloat(0, 3f).putFloat(4, -1f);
            c.allReduce(b, ElementType.FLOAT32, ReduceOp.AVG);
            c.broadcast(b, 0);
            c.barrier();
            assertEquals(3f, b.getFloat(0));
            assertEquals(-1f, b.getFloat(4));
            assertTrue(!c.describe().isEmpty());
            c.close();
            CollectiveException closed = assertThrows(CollectiveException.class, c::barrier);
            assertEquals(Reason.CLOSED, closed.reason());
        } finally {
            Ranks.closeAll(group);
        }
    }

    @Test
    void closingFromAnotherThreadAbortsAWaitingCall() throws Exception {
        List<? extends Collective> group = create(2, Duration.ofSeconds(60));
        try {
            Collective zero = group.get(0);
            CompletableFuture<Throwable> call = CompletableFuture.supplyAsync(() -> {
                try {
                    zero.allReduce(Ranks.direct(64), ElementType.FLOAT32, ReduceOp.SUM); // rank 1 never calls
                    return null;
                } catch (Throwable t) {
                    return t;
                }
            });
            long start = System.nanoTime();
            zero.close();
            Throwable t = call.get(10, TimeUnit.SECONDS);
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertInstanceOf(CollectiveException.class, t);
            assertTrue(ms < 5000, "took " + ms + " ms");
        } finally {
            Ranks.closeAll(group);
        }
    }

    /** Ranks that close right after their last call must not fail the others' last call. */
    @Test
    void closingRightAfterTheLastCallDoesNotFailSlowerRanks() throws Exception {
        for (int round = 0; round < 30; round++) {
            int n = 2 + round % 2;
            List<? extends Collective> group = create(n);
            try {
                Ranks.run(group, c -> {
                    ByteBuffer b = Ranks.direct(4 * ODD_COUNT);
                    b.putFloat(0, 1f);
                    c.allReduce(b, ElementType.FLOAT32, ReduceOp.SUM);
                    c.close();
                    assertEquals(n, b.getFloat(0));
                });
            } finally {
                Ranks.closeAll(group);
            }
        }
    }

    /** Steady-state calls on the same buffer allocate (almost) nothing: no per-call buffers or views. */
    @Test
    void steadyStateAllReduceDoesNotAllocatePerCall() throws Exception {
        java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        assumeTrue(mx instanceof com.sun.management.ThreadMXBean, "per-thread allocation is not measurable here");
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) mx;
        assumeTrue(threads.isThreadAllocatedMemorySupported(), "per-thread allocation is not measurable here");
        threads.setThreadAllocatedMemoryEnabled(true);
        List<? extends Collective> group = create(2);
        try {
            int calls = 500;
            AtomicLongArray allocated = new AtomicLongArray(2);
            Ranks.run(group, c -> {
                ByteBuffer b = Ranks.direct(64 << 10);
                for (int i = 0; i < 200; i++) { // warm up: JIT, scratch arrays, views
                    c.allReduce(b, ElementType.FLOAT32, ReduceOp.SUM);
                }
                long id = Thread.currentThread().getId();
                long before = threads.getThreadAllocatedBytes(id);
                for (int i = 0; i < calls; i++) {
                    c.allReduce(b, ElementType.FLOAT32, ReduceOp.SUM);
                }
                allocated.set(c.rank(), threads.getThreadAllocatedBytes(id) - before);
            });
            for (int r = 0; r < 2; r++) {
                // a 64 KiB buffer per call would be 32 MB here, new views ~200 bytes per call; what
                // remains is JDK-internal (a Phaser wait node, tens of bytes, when a rank blocks)
                assertTrue(allocated.get(r) < 200L * calls,
                        "rank " + r + " allocated " + allocated.get(r) + " bytes in " + calls + " calls");
            }
        } finally {
            Ranks.closeAll(group);
        }
    }
}
