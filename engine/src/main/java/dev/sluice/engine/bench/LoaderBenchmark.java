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
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Loader throughput against the raw limit of the same store: one pass reads every shard of the split
 * whole and in order with plain ranged reads (no checks, no collation), the other streams the split
 * through the {@link Loader} (parallel parts, CRC32C, index, shuffle, collation into batches). Both
 * read the same bytes in the same run; the ratio is what the loader costs.
 */
public final class LoaderBenchmark {

    private final Dataset dataset;
    private final LoaderConfig config;

    public LoaderBenchmark(Dataset dataset, LoaderConfig config) {
        this.dataset = dataset;
        this.config = config;
    }

    /**
     * One measurement.
     *
     * @param mode {@code raw} or {@code loader}
     * @param bytes shard bytes read from the store
     * @param samples samples delivered (0 for raw)
     * @param seconds wall time
     * @param waitMsPerBatch mean time the consumer waited per batch (loader only)
     */
    public record Measurement(String mode, long bytes, long samples, double seconds, double waitMsPerBatch) {
        public double mbPerSecond() {
            return bytes / 1e6 / seconds;
        }

        public double samplesPerSecond() {
            return samples / seconds;
        }
    }

    /** Reads every shard whole, in manifest order, with one ranged read each. */
    public Measurement raw() throws IOException {
        Split split = dataset.manifest().split(config.split());
        DirectAllocator mem = new DirectAllocator();
        ByteBuffer buf = mem.allocate((int) split.maxShardBytes());
        try {
            long bytes = 0;
            long t0 = System.nanoTime();
            for (ShardInfo sh : split.shards()) {
                buf.clear().limit((int) sh.bytes());
                dataset.store().read(sh.key(), 0, buf);
                bytes += sh.bytes();
            }
            return new Measurement("raw", bytes, 0, (System.nanoTime() - t0) / 1e9, 0);
        } finally {
            mem.free(buf);
        }
    }

    /**
     * Streams one epoch through the loader as fast as the consumer can take batches. The loader's
     * buffers are allocated before the clock starts, as a training job allocates them once.
     */
    public Measurement loader(long epoch) throws IOException {
        try (Loader l = new Loader(dataset, config, new DirectAllocator())) {
            long t0 = System.nanoTime();
            long samples = 0;
            long batches = 0;
            try (EpochStream s = l.open(LoaderState.start(config.seed(), epoch))) {
                for (HostBatch b = s.next(); b != null; b = s.next()) {
                    samples += b.size();
                    batches++;
                    b.close();
                }
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            var m = l.metrics().snapshot();
            return new Measurement("loader", m.bytesRead(), samples, secs,
                    batches == 0 ? 0 : m.waitNanos() / 1e6 / batches);
        }
    }

    /** Alternates raw and loader passes after one warm-up pass of each; returns all measurements. */
    public List<Measurement> run(int rounds) throws IOException {
        raw();
        loader(0);
        List<Measurement> out = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            out.add(raw());
            out.add(loader(r + 1));
        }
        return out;
    }

    /** Median of the measurements of one mode, by MB/s. */
    public static Measurement median(List<Measurement> all, String mode) {
        return Medians.byThroughput(all, mode, Measurement::mode, Measurement::mbPerSecond);
    }
}
