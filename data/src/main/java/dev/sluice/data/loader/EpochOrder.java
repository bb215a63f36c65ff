package dev.sluice.data.loader;

/**
 * The order a rank draws samples in, computed from the split's shard sample counts alone: the
 * same function the {@link Loader} follows, without reading any data. Use it to check a
 * reimplementation of docs/LOADER.md, to plan work per rank, or to audit what a resumed job will
 * see.
 */
public final class EpochOrder {

    private EpochOrder() {}

    /**
     * The global sample ids (positions in manifest order within the split) that rank
     * {@code config.rank()} of {@code config.worldSize()} draws from {@code state} to the end of
     * the epoch, in draw order. This is the order of {@link HostBatch#sampleId} over the stream's
     * batches; with {@link LoaderConfig#dropLast()} the loader delivers only the first
     * {@code floor(n / batchSize) * batchSize} of them.
     *
     * <p>Only {@code shuffle}, {@code window}, {@code remainder}, {@code rank} and {@code worldSize}
     * of the config matter; the seed and epoch are the state's.
     *
     * @param shardSamples samples of each shard of the split, in manifest order
     * @throws IllegalArgumentException if the state does not fit (not from lockstep ranks, or
     *     claiming more samples than the plan has)
     */
    public static long[] sampleIds(long[] shardSamples, LoaderConfig config, LoaderState state) {
        EpochPlan plan = new EpochPlan(shardSamples, state.seed(), state.epoch(), config.shuffle(),
                config.remainder(), config.window());
        EpochPlan.Cursor c = plan.resume(state, config.worldSize(), config.rank());
        long n = c.left();
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("rank " + config.rank() + " draws " + n
                    + " samples this epoch, more than an array holds; use the Loader to stream them");
        }
        long[] ids = new long[(int) n];
        SampleMixer mixer = c.mixer();
        for (int i = 0; i < ids.length; i++) {
            mixer.next();
            ids[i] = plan.sampleId(c.plan().runs().get(mixer.lastRun()).shard(), mixer.lastLocal());
        }
        return ids;
    }
}
