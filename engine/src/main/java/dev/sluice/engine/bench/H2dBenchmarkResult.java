package dev.sluice.engine.bench;

import java.util.Locale;

/**
 * Host-to-device bandwidth for one transfer size, every method measured in the same run on the
 * same GPU. GB/s are 10^9 bytes per second of stored (uint8) batch bytes.
 *
 * @param device the GPU, e.g. {@code cuda:0 NVIDIA H100 80GB HBM3 (79.1 GiB, sm_90)}
 * @param bytes bytes per transfer
 * @param iterations transfers timed per method
 * @param pageableHeapGBps {@code cudaMemcpy} from a Java {@code byte[]}
 * @param pageableDirectGBps {@code cudaMemcpy} from a direct (unpinned) buffer
 * @param pinnedGBps {@code cudaMemcpy} from pinned memory: the baseline
 * @param feederGBps sustained rate of the feeder's stager: pinned batch, async copy on the copy
 *     stream, transform kernel, events, ring of slots released by a consumer stream
 * @param feederCopyEventGBps the stager's copies alone, timed by CUDA events (mean per transfer)
 * @param feederOverPinned {@code feederGBps / pinnedGBps}; the goal is at least {@link #GOAL}
 */
public record H2dBenchmarkResult(String device, long bytes, int iterations, double pageableHeapGBps,
                                 double pageableDirectGBps, double pinnedGBps, double feederGBps,
                                 double feederCopyEventGBps, double feederOverPinned) {

    /** The agreed goal for {@link #feederOverPinned()}. */
    public static final double GOAL = 0.8;

    /** Whether the feeder reaches {@link #GOAL} of pinned cudaMemcpy bandwidth. */
    public boolean meetsGoal() {
        return feederOverPinned >= GOAL;
    }

    /** One line for logs and reports. */
    public String describe() {
        return String.format(Locale.ROOT, "%s %,d bytes x %d: pageable heap %.2f GB/s, pageable direct %.2f GB/s,"
                        + " pinned %.2f GB/s, feeder %.2f GB/s (copies alone %.2f GB/s), feeder/pinned %.3f (goal >= %.1f)",
                device, bytes, iterations, pageableHeapGBps, pageableDirectGBps, pinnedGBps, feederGBps,
                feederCopyEventGBps, feederOverPinned, GOAL);
    }
}
