package dev.sluice.engine.bench;

import dev.sluice.engine.collective.CollectiveException;
import dev.sluice.engine.collective.ElementType;
import dev.sluice.engine.collective.NcclCollective;
import dev.sluice.engine.collective.ReduceOp;
import dev.sluice.engine.device.CudaProbe;
import dev.sluice.engine.device.DeviceBuffer;
import dev.sluice.nccl.NcclRuntime;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * NCCL all-reduce bandwidth over the local GPUs ({@code bench allreduce} with a GPU), measured the
 * way nccl-tests' {@code all_reduce_perf} does: FLOAT32 SUM, in place, on raw device buffers of
 * each size; per size some warm-up calls, then {@code iterations} calls enqueued back to back and
 * one wait for the stream; time per call = that wall time / iterations on rank 0.
 * Algorithm bandwidth = bytes / time per call; bus bandwidth = algorithm bandwidth × 2(n-1)/n,
 * comparable with nccl-tests' {@code busbw} column (GB = 10^9 bytes). One process, one thread and
 * one {@link NcclCollective} per device ({@code ncclCommInitAll}).
 *
 * <p>Memory: one device buffer of the largest size per GPU.
 */
public final class NcclAllReduceBenchmark {

    /** 1 MiB to 1 GiB, doubling, as nccl-tests' {@code -b 1M -e 1G -f 2}. */
    public static final List<Integer> DEFAULT_SIZES = defaultSizes();

    private static List<Integer> defaultSizes() {
        List<Integer> s = new ArrayList<>();
        for (int b = 1 << 20; b > 0 && b <= 1 << 30; b <<= 1) {
            s.add(b);
        }
        return List.copyOf(s);
    }

    /**
     * What to measure.
     *
     * @param devices number of local GPUs (devices 0..n-1), at least 1
     * @param sizes buffer sizes in bytes, each a positive multiple of 4
     * @param warmupIterations untimed calls per size
     * @param iterations timed calls per size
     * @param timeout how long one size's calls may take before the run fails
     */
    public record Options(int devices, List<Integer> sizes, int warmupIterations, int iterations, Duration timeout) {
        public Options {
            if (devices < 1) {
                throw new IllegalArgumentException("need at least one GPU, got " + devices);
            }
            sizes = AllReduceBenchmark.checkedSizes(sizes, warmupIterations, iterations);
            if (timeout == null || timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout must be positive, got " + timeout);
            }
        }

        /** nccl-tests' defaults: 5 warm-up and 20 timed calls per size, 1 MiB to 1 GiB. */
        public static Options defaults(int devices) {
            return new Options(devices, DEFAULT_SIZES, 5, 20, Duration.ofMinutes(2));
        }
    }

    /**
     * One size's figures.
     *
     * @param bytes buffer size per GPU
     * @param iterations timed calls
     * @param secondsPerCall wall time of one all-reduce on rank 0
     * @param algorithmGBps bytes / secondsPerCall / 1e9
     * @param busGBps algorithmGBps × 2(n-1)/n (0 with one GPU: nothing crosses a link)
     */
    public record Point(int bytes, int iterations, double secondsPerCall, double algorithmGBps, double busGBps) {
    }

    /** All sizes of one run; {@code description} names NCCL, CUDA and the devices. */
    public record Result(int ranks, String description, List<Point> points) {
        public Result {
            points = List.copyOf(points);
        }
    }

    private NcclAllReduceBenchmark() {
    }

    /** Runs the measurement on devices 0..n-1; blocks until done. */
    public static Result run(NcclRuntime nccl, Options options) throws CollectiveException {
        int n = options.devices();
        int visible = CudaProbe.requireGpus("the NCCL all-reduce benchmark").gpus().size();
        if (n > visible) {
            throw new IllegalArgumentException(n + " GPUs asked for, " + visible + " visible");
        }
        int[] devices = new int[n];
        for (int i = 0; i < n; i++) {
            devices[i] = i;
        }
        int largest = 0;
        for (int s : options.sizes()) {
            largest = Math.max(largest, s);
        }
        List<NcclCollective> members = NcclCollective.local(nccl, options.timeout(), devices);
        long[] nanos = new long[options.sizes().size()];
        int bufferBytes = largest;
        RankThreads.run(members, "nccl-bench-rank-", "NCCL all-reduce", c -> {
            try (DeviceBuffer buffer = DeviceBuffer.allocate(c.device(), bufferBytes)) {
                measure(c, buffer, options, nanos);
            }
        });
        List<Point> points = new ArrayList<>();
        for (int i = 0; i < options.sizes().size(); i++) {
            int bytes = options.sizes().get(i);
            double seconds = nanos[i] / 1e9 / options.iterations();
            double alg = bytes / seconds / 1e9;
            points.add(new Point(bytes, options.iterations(), seconds, alg, AllReduceBenchmark.busBandwidth(alg, n)));
        }
        return new Result(n, nccl.description(), points);
    }

    private static void measure(NcclCollective c, DeviceBuffer buffer, Options options, long[] nanos)
            throws CollectiveException {
        ByteBuffer view = buffer.view();
        List<Integer> sizes = options.sizes();
        for (int i = 0; i < sizes.size(); i++) {
            ByteBuffer region = view.duplicate().position(0).limit(sizes.get(i));
            for (int w = 0; w < options.warmupIterations(); w++) {
                c.allReduce(region, ElementType.FLOAT32, ReduceOp.SUM);
            }
            c.barrier(); // waits for the warm-up too: every rank starts the timed calls together
            long start = System.nanoTime();
            for (int it = 0; it < options.iterations(); it++) {
                c.allReduce(region, ElementType.FLOAT32, ReduceOp.SUM);
            }
            c.synchronize();
            long elapsed = System.nanoTime() - start;
            if (c.rank() == 0) {
                nanos[i] = elapsed;
            }
        }
    }
}
