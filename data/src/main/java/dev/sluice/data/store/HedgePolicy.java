package dev.sluice.data.store;

import java.time.Duration;

/**
 * When a remote store sends a second copy of a ranged read that is slow to answer (a hedged
 * request). One slow GET among thousands stalls every rank of a training job; asking again once a
 * read is clearly late, and taking whichever answer comes first, cuts that tail at a small, capped
 * cost in extra requests.
 *
 * <p>A read still unanswered after {@code max(floor, multiplier * p95)} of the recent read
 * latencies is issued a second time if it is late among its peers (a read started at least a
 * median latency after it has completed, or no other read is in flight); the first complete
 * answer wins and the other request is cancelled. No read is hedged before {@code minSamples}
 * reads have completed (the distribution is unknown until then), and hedges never exceed
 * {@code maxFraction} of the reads started, nor the hedges of 100 reads at once.
 *
 * @param maxFraction hedges allowed per read started, in {@code [0, 1]}; 0 turns hedging off
 * @param multiplier the deadline is this many times the observed 95th-percentile latency, at least 1
 * @param floor the deadline is never shorter than this
 * @param minSamples completed reads needed before the first hedge
 */
public record HedgePolicy(double maxFraction, double multiplier, Duration floor, int minSamples) {

    /** The {@link #maxFraction} of {@link #defaults()}: at most 5% extra reads. */
    public static final double DEFAULT_MAX_FRACTION = 0.05;

    public HedgePolicy {
        if (!(maxFraction >= 0 && maxFraction <= 1)) {
            throw new IllegalArgumentException("maxFraction must be in [0, 1], got " + maxFraction);
        }
        if (!(multiplier >= 1)) {
            throw new IllegalArgumentException("multiplier must be at least 1, got " + multiplier);
        }
        if (floor == null || floor.isNegative()) {
            throw new IllegalArgumentException("floor must be zero or positive, got " + floor);
        }
        if (minSamples < 1) {
            throw new IllegalArgumentException("minSamples must be at least 1, got " + minSamples);
        }
    }

    /**
     * At most 5% extra reads, deadline {@code max(100 ms, 3 x p95)}, after 20 completed reads. The
     * deadline is later than the {@code 2 x p95} with a 50 ms floor first tried: on a client that is
     * itself the bottleneck (bench store: two cores saturated by loopback transfers) that sent 5-12
     * hedges in about one loader pass in three, and such passes cost 25-40% more CPU per GB; at
     * {@code 3 x p95}, 100 ms hedges came in fewer passes (4 of 30 in one series, but 7 of 15 in a slow
     * spell), and a read held for seconds is still hedged within a few hundred milliseconds
     * (docs/BENCHMARKS.md).
     */
    public static HedgePolicy defaults() {
        return new HedgePolicy(DEFAULT_MAX_FRACTION, 3.0, Duration.ofMillis(100), 20);
    }

    /** Never hedge. */
    public static HedgePolicy off() {
        return defaults().withMaxFraction(0);
    }

    /** Whether any read may be hedged. */
    public boolean enabled() {
        return maxFraction > 0;
    }

    public HedgePolicy withMaxFraction(double fraction) {
        return new HedgePolicy(fraction, multiplier, floor, minSamples);
    }

    public HedgePolicy withDeadline(double newMultiplier, Duration newFloor) {
        return new HedgePolicy(maxFraction, newMultiplier, newFloor, minSamples);
    }

    public HedgePolicy withMinSamples(int samples) {
        return new HedgePolicy(maxFraction, multiplier, floor, samples);
    }
}
