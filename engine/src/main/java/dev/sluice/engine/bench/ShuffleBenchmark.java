package dev.sluice.engine.bench;

import dev.sluice.data.format.Dataset;
import dev.sluice.data.format.ShardInfo;
import dev.sluice.data.format.Split;
import dev.sluice.data.loader.EpochStream;
import dev.sluice.data.loader.HostBatch;
import dev.sluice.data.loader.Loader;
import dev.sluice.data.loader.LoaderConfig;
import dev.sluice.data.loader.LoaderState;
import dev.sluice.data.memory.DirectAllocator;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Shuffled against sequential streaming through the same {@link Loader}, store and memory budget
 * in one run, plus the quality of the shuffled order. The sequential pass reads shards in manifest
 * order with one open shard; the shuffled pass permutes shards and draws through a window of open
 * shards. Both use the same number of shard slabs ({@code window + prefetch}), so the shuffle costs
 * no extra memory in the comparison.
 */
public final class ShuffleBenchmark {

    private final Dataset dataset;
    private final LoaderConfig shuffled;
    private final LoaderConfig sequential;

    /**
     * @param dataset the dataset
     * @param config the shuffled configuration (split, batch size, window, prefetch, parts); the
     *     final partial batch is kept so that every sample counts
     */
    public ShuffleBenchmark(Dataset dataset, LoaderConfig config) {
        this.dataset = dataset;
        this.shuffled = config.withShuffle(true, config.window()).withDropLast(false);
        this.sequential = config.withShuffle(false, config.window()).withDropLast(false);
    }

    /**
     * One measured pass: {@code epochs} consecutive epochs through one loader.
     *
     * @param mode {@code sequential} or {@code shuffled}
     * @param bytes sample bytes delivered (collated fields)
     * @param samples samples delivered
     * @param seconds wall time from opening the first epoch to the last batch of the last one,
     *     epoch boundaries (each epoch's pipeline start) included
     * @param firstBatchMs mean time from opening an epoch to its first batch
     * @param waitMsPerBatch mean time the consumer waited per batch
     * @param orders the delivered sample ids of each epoch, in order
     */
    public record Pass(String mode, long bytes, long samples, double seconds, double firstBatchMs,
                       double waitMsPerBatch, List<long[]> orders) {
        public double mbPerSecond() {
            return bytes / 1e6 / seconds;
        }

        public double samplesPerSecond() {
            return samples / seconds;
        }
    }

    /** The shuffled loader's memory bound (the shuffle buffer in samples and bytes, slabs, batches). */
    public Loader.Memory memory() {
        try (Loader l = new Loader(dataset, shuffled, new DirectAllocator())) {
            return l.memory();
        }
    }

    /**
     * Streams {@code epochs} epochs from {@code firstEpoch} on as fast as the consumer takes
     * batches. The loader's buffers are allocated before the clock starts, as a training job
     * allocates them once.
     */
    public Pass pass(boolean shuffle, long firstEpoch, int epochs) throws IOException {
        LoaderConfig cfg = shuffle ? shuffled : sequential;
        Split split = dataset.manifest().split(cfg.split());
        try (Loader l = new Loader(dataset, cfg, new DirectAllocator())) {
            long perSample = 0;
            for (var f : l.fields()) {
                perSample += f.sampleBytes();
            }
            List<long[]> orders = new ArrayList<>();
            long samples = 0;
            long batches = 0;
            long firstBatchNanos = 0;
            long t0 = System.nanoTime();
            for (int e = 0; e < epochs; e++) {
                long[] ids = new long[Math.toIntExact(split.samples())];
                int n = 0;
                long opened = System.nanoTime();
                try (EpochStream s = l.open(LoaderState.start(cfg.seed(), firstEpoch + e))) {
                    for (HostBatch b = s.next(); b != null; b = s.next()) {
                        if (n == 0) {
                            firstBatchNanos += System.nanoTime() - opened;
                        }
                        for (int i = 0; i < b.size(); i++) {
                            ids[n++] = b.sampleId(i);
                        }
                        batches++;
                        b.close();
                    }
                }
                samples += n;
                orders.add(Arrays.copyOf(ids, n));
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            double wait = batches == 0 ? 0 : l.metrics().snapshot().waitNanos() / 1e6 / batches;
            return new Pass(shuffle ? "shuffled" : "sequential", samples * perSample, samples, secs,
                    firstBatchNanos / 1e6 / epochs, wait, orders);
        }
    }

    /**
     * A warm-up pass of each mode, then {@code rounds} measured pairs, alternating sequential and
     * shuffled so that both see the same machine; every shuffled epoch has a new number, so a new order.
     */
    public List<Pass> run(int rounds, int epochsPerPass) throws IOException {
        pass(false, 0, 1);
        pass(true, 0, 1);
        List<Pass> out = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            out.add(pass(false, 1 + (long) r * epochsPerPass, epochsPerPass));
            out.add(pass(true, 1 + (long) r * epochsPerPass, epochsPerPass));
        }
        return out;
    }

    /** First sample id of each shard of the split, for {@link ShuffleQuality#of}. */
    public long[] shardStarts() {
        List<ShardInfo> shards = dataset.manifest().split(shuffled.split()).shards();
        long[] starts = new long[shards.size()];
        long at = 0;
        for (int i = 0; i < starts.length; i++) {
            starts[i] = at;
            at += shards.get(i).samples();
        }
        return starts;
    }

    /** Median of the passes of one mode, by MB/s. */
    public static Pass median(List<Pass> all, String mode) {
        return Medians.byThroughput(all, mode, Pass::mode, Pass::mbPerSecond);
    }

    /**
     * How well shuffled the shuffled passes' orders were, beside the two baselines a reader needs to
     * judge the figures: a uniform random permutation of the same samples (the ideal) and the
     * stored order (no shuffling).
     *
     * @param byOrder {@code sluice}, {@code uniform} and {@code sequential}, each the mean over the epochs
     * @param epochs shuffled epochs measured
     */
    public record Quality(Map<String, ShuffleQuality> byOrder, int epochs) {}

    /** {@link Quality} of the shuffled passes in {@code all}; {@code seed} seeds the uniform baseline. */
    public Quality quality(List<Pass> all, long seed) {
        long[] starts = shardStarts();
        int batch = shuffled.batchSize();
        List<ShuffleQuality> mine = new ArrayList<>();
        List<ShuffleQuality> uniform = new ArrayList<>();
        List<ShuffleQuality> stored = new ArrayList<>();
        long k = 0;
        for (Pass p : all) {
            if (p.mode().equals("shuffled")) {
                for (long[] order : p.orders()) {
                    mine.add(ShuffleQuality.of(order, starts, batch));
                    uniform.add(ShuffleQuality.of(ShuffleQuality.uniform(order, seed + k++), starts, batch));
                    stored.add(ShuffleQuality.of(ShuffleQuality.stored(order), starts, batch));
                }
            }
        }
        Map<String, ShuffleQuality> q = new LinkedHashMap<>();
        q.put("sluice", ShuffleQuality.mean(mine));
        q.put("uniform", ShuffleQuality.mean(uniform));
        q.put("sequential", ShuffleQuality.mean(stored));
        return new Quality(q, mine.size());
    }
}
