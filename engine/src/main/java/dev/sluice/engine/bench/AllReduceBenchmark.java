package dev.sluice.engine.bench;

import dev.sluice.data.memory.DirectAllocator;
import dev.sluice.engine.collective.Collective;
import dev.sluice.engine.collective.CollectiveException;
import dev.sluice.engine.collective.ElementType;
import dev.sluice.engine.collective.InProcessGroup;
import dev.sluice.engine.collective.ReduceOp;
import dev.sluice.engine.collective.TcpCollective;
import dev.sluice.engine.collective.TcpOptions;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Measures CPU all-reduce bandwidth against memcpy bandwidth in the same run ({@code bench
 * allreduce}). For each size, FLOAT32 SUM all-reduces run on every rank of an in-process group or
 * of a TCP ring over loopback, and a single-threaded {@code ByteBuffer.put} of the same size gives
 * the memcpy reference.
 *
 * <p>Bandwidths follow nccl-tests: algorithm bandwidth = bytes / time per call, bus bandwidth =
 * algorithm bandwidth × 2(n-1)/n (the traffic each rank's link carries in a ring all-reduce, so the
 * figure is comparable across rank counts). GB are 10^9 bytes. Timing is rank 0's wall clock over
 * the timed calls, after warm-up calls and a barrier.
 *
 * <p>Memory: one buffer of the largest size per rank plus two for memcpy, all direct memory
 * (raise {@code -XX:MaxDirectMemorySize} for many ranks at 256 MB).
 */
public final class AllReduceBenchmark {

    /** Which collective implementation to measure. */
    public enum Transport {
        /** {@link InProcessGroup}: one thread per rank, shared memory. */
        IN_PROCESS,
        /** {@link TcpCollective}: one thread per rank, TCP over 127.0.0.1. */
        TCP_LOOPBACK
    }

    /** 1 MiB, 4 MiB, 16 MiB, 64 MiB, 256 MiB. */
    public static final List<Integer> DEFAULT_SIZES = List.of(1 << 20, 4 << 20, 16 << 20, 64 << 20, 256 << 20);

    /**
     * What to measure.
     *
     * @param transport implementation
     * @param ranks number of ranks (threads)
     * @param sizes buffer sizes in bytes, each a positive multiple of 4
     * @param warmupIterations untimed calls per size (five times as many for the first size, which
     *     also warms up the JIT)
     * @param iterations timed calls per size
     */
    public record Options(Transport transport, int ranks, List<Integer> sizes, int warmupIterations, int iterations) {
        public Options {
            if (transport == null) {
                throw new IllegalArgumentException("transport is null");
            }
            if (ranks < 1) {
                throw new IllegalArgumentException("ranks must be at least 1, got " + ranks);
            }
            sizes = AllReduceBenchmark.checkedSizes(sizes, warmupIterations, iterations);
        }

        /** 1 MiB to 256 MiB, 2 warm-up and 10 timed calls per size. */
        public static Options defaults(Transport transport, int ranks) {
            return new Options(transport, ranks, DEFAULT_SIZES, 2, 10);
        }
    }

    /**
     * One size's figures.
     *
     * @param bytes buffer size per rank
     * @param iterations timed calls
     * @param secondsPerCall mean wall time of one all-reduce on rank 0
     * @param algorithmGBps bytes / secondsPerCall / 1e9
     * @param busGBps algorithmGBps × 2(n-1)/n
     * @param memcpyGBps single-threaded ByteBuffer.put of the same size, bytes / second / 1e9
     */
    public record Point(int bytes, int iterations, double secondsPerCall, double algorithmGBps, double busGBps,
                        double memcpyGBps) {

        /** Bus bandwidth as a fraction of memcpy bandwidth. */
        public double busOverMemcpy() {
            return busGBps / memcpyGBps;
        }

        /** Algorithm bandwidth as a fraction of memcpy bandwidth. */
        public double algorithmOverMemcpy() {
            return algorithmGBps / memcpyGBps;
        }
    }

    /** All sizes of one run. */
    public record Result(Transport transport, int ranks, String description, List<Point> points) {
        public Result {
            points = List.copyOf(points);
        }
    }

    private AllReduceBenchmark() {
    }

    /** nccl-tests' bus bandwidth of an all-reduce: {@code algorithmBandwidth × 2(n-1)/n}. */
    public static double busBandwidth(double algorithmBandwidth, int ranks) {
        return algorithmBandwidth * 2.0 * (ranks - 1) / ranks;
    }

    /**
     * The sizes as an immutable list, after checking what both all-reduce benchmarks need: at least
     * one size, each a positive multiple of 4 bytes (float32), warm-up >= 0 and iterations >= 1.
     */
    static List<Integer> checkedSizes(List<Integer> sizes, int warmupIterations, int iterations) {
        List<Integer> copy = List.copyOf(sizes);
        if (copy.isEmpty()) {
            throw new IllegalArgumentException("no sizes to measure");
        }
        for (int s : copy) {
            if (s <= 0 || s % 4 != 0) {
                throw new IllegalArgumentException("size " + s + " is not a positive multiple of 4 bytes");
            }
        }
        if (warmupIterations < 0 || iterations < 1) {
            throw new IllegalArgumentException("need warmup >= 0 and iterations >= 1, got " + warmupIterations
                    + " and " + iterations);
        }
        return copy;
    }

    /** Runs the measurement; blocks until done. */
    public static Result run(Options options) throws CollectiveException {
        List<Integer> sizes = options.sizes();
        int largest = 0;
        for (int s : sizes) {
            largest = Math.max(largest, s);
        }
        DirectAllocator allocator = new DirectAllocator();
        double[] memcpy = memcpy(allocator, sizes, largest, options);

        int n = options.ranks();
        List<? extends Collective> members = options.transport() == Transport.IN_PROCESS
                ? new InProcessGroup(n).members()
                : TcpCollective.loopback(n, TcpOptions.of("127.0.0.1", 0, 0, n));
        String description = members.get(0).describe();
        long[] nanos = new long[sizes.size()];
        int bufferBytes = largest;
        RankThreads.run(members, "allreduce-bench-rank-", "all-reduce", c -> {
            ByteBuffer buffer = allocator.allocate(bufferBytes);
            try {
                measure(c, buffer, options, nanos);
            } finally {
                allocator.free(buffer);
            }
        });
        List<Point> points = new ArrayList<>();
        for (int i = 0; i < sizes.size(); i++) {
            int bytes = sizes.get(i);
            double seconds = nanos[i] / 1e9 / options.iterations();
            double alg = bytes / seconds / 1e9;
            points.add(new Point(bytes, options.iterations(), seconds, alg, busBandwidth(alg, n), memcpy[i]));
        }
        return new Result(options.transport(), n, description, points);
    }

    /** One rank's loop; rank 0 records the timed duration of each size. */
    private static void measure(Collective c, ByteBuffer buffer, Options options, long[] nanos)
            throws CollectiveException {
        List<Integer> sizes = options.sizes();
        for (int i = 0; i < sizes.size(); i++) {
            buffer.clear().limit(sizes.get(i));
            // the first size also warms up the JIT, which would otherwise be timed in small sizes
            int warmup = i == 0 ? 5 * options.warmupIterations() : options.warmupIterations();
            for (int w = 0; w < warmup; w++) {
                c.allReduce(buffer, ElementType.FLOAT32, ReduceOp.SUM);
            }
            c.barrier();
            long start = System.nanoTime();
            for (int it = 0; it < options.iterations(); it++) {
                c.allReduce(buffer, ElementType.FLOAT32, ReduceOp.SUM);
            }
            long elapsed = System.nanoTime() - start;
            if (c.rank() == 0) {
                nanos[i] = elapsed;
            }
        }
    }

    private static double[] memcpy(DirectAllocator allocator, List<Integer> sizes, int largest, Options options) {
        double[] gbps = new double[sizes.size()];
        ByteBuffer src = allocator.allocate(largest);
        ByteBuffer dst = allocator.allocate(largest);
        try {
            for (int i = 0; i < sizes.size(); i++) {
                int bytes = sizes.get(i);
                for (int w = 0; w < options.warmupIterations(); w++) {
                    copy(src, dst, bytes);
                }
                long start = System.nanoTime();
                for (int it = 0; it < options.iterations(); it++) {
                    copy(src, dst, bytes);
                }
                long elapsed = System.nanoTime() - start;
                gbps[i] = (double) bytes * options.iterations() / elapsed;
            }
        } finally {
            allocator.free(src);
            allocator.free(dst);
        }
        return gbps;
    }

    private static void copy(ByteBuffer src, ByteBuffer dst, int bytes) {
        src.clear().limit(bytes);
        dst.clear();
        dst.put(src);
    }
}
