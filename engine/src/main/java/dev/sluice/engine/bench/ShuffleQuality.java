package dev.sluice.engine.bench;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * How well an order is shuffled, as figures that can be compared with the same figures for a
 * uniform random permutation and for reading in stored order (docs/BENCHMARKS.md "Shuffle quality
 * and shuffled vs. sequential").
 *
 * <p>For an order {@code o} of {@code n} distinct sample ids, let {@code p(i)} be the stored
 * position (rank among the delivered ids) of the {@code i}-th sample delivered:
 *
 * @param samples {@code n}
 * @param displacement mean of {@code |i - p(i)| / n}: 0 in stored order, about 1/3 for a uniform permutation
 * @param spearman Spearman's rank correlation of {@code i} and {@code p(i)}: 1 in stored order,
 *     about 0 (within {@code ±2/sqrt(n)}) for a uniform permutation
 * @param adjacentKept fraction of consecutive deliveries that are also consecutive in storage
 *     ({@code p(i+1) = p(i) + 1}): 1 in stored order, about {@code 1/n} for a uniform permutation
 * @param shardsPerBatch mean number of distinct shards among the samples of a batch: how much
 *     each batch mixes; a bounded shuffle is limited by its window of open shards
 */
public record ShuffleQuality(long samples, double displacement, double spearman, double adjacentKept,
                             double shardsPerBatch) {

    /**
     * Figures of an order.
     *
     * @param ids delivered sample ids (distinct), in delivery order
     * @param shardStarts first sample id of each shard, ascending, as many as shards
     * @param batchSize samples per batch, for {@link #shardsPerBatch()}
     */
    public static ShuffleQuality of(long[] ids, long[] shardStarts, int batchSize) {
        int n = ids.length;
        if (n < 2) {
            throw new IllegalArgumentException("shuffle quality needs at least 2 samples, got " + n);
        }
        // p(i): the stored position of the i-th delivered sample among the delivered ones
        long[] sorted = ids.clone();
        Arrays.sort(sorted);
        double sumAbs = 0;
        double sumSq = 0;
        long adjacent = 0;
        int prev = -2;
        for (int i = 0; i < n; i++) {
            int p = Arrays.binarySearch(sorted, ids[i]);
            double d = i - p;
            sumAbs += Math.abs(d);
            sumSq += d * d;
            adjacent += p == prev + 1 ? 1 : 0;
            prev = p;
        }
        double nn = n;
        double spearman = 1 - 6 * sumSq / (nn * (nn * nn - 1));
        double shards = 0;
        int batches = 0;
        int[] mark = new int[shardStarts.length];
        for (int b = 0; b < n; b += batchSize) {
            batches++;
            int distinct = 0;
            for (int i = b; i < Math.min(n, b + batchSize); i++) {
                int s = shardOf(ids[i], shardStarts);
                if (mark[s] != batches) {
                    mark[s] = batches;
                    distinct++;
                }
            }
            shards += distinct;
        }
        return new ShuffleQuality(n, sumAbs / nn / nn, spearman, adjacent / (nn - 1), shards / batches);
    }

    /** The mean of each figure over several orders (e.g. the epochs of a run). */
    public static ShuffleQuality mean(List<ShuffleQuality> all) {
        double d = 0;
        double s = 0;
        double a = 0;
        double b = 0;
        long n = 0;
        for (ShuffleQuality q : all) {
            d += q.displacement;
            s += q.spearman;
            a += q.adjacentKept;
            b += q.shardsPerBatch;
            n += q.samples;
        }
        int k = all.size();
        return new ShuffleQuality(n / k, d / k, s / k, a / k, b / k);
    }

    private static int shardOf(long id, long[] starts) {
        int i = Arrays.binarySearch(starts, id);
        return i >= 0 ? i : -i - 2;
    }

    /** A uniform random permutation of {@code ids} (Fisher-Yates), the ideal to compare against. */
    public static long[] uniform(long[] ids, long seed) {
        long[] out = ids.clone();
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = out.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            long t = out[i];
            out[i] = out[j];
            out[j] = t;
        }
        return out;
    }

    /** {@code ids} in stored order: what reading without shuffling delivers. */
    public static long[] stored(long[] ids) {
        long[] out = ids.clone();
        Arrays.sort(out);
        return out;
    }
}
