package dev.sluice.data.loader;

import dev.sluice.data.image.ImageStage;
import java.util.List;

/**
 * How a {@link Loader} reads a split.
 *
 * @param split split to read, e.g. {@code train}
 * @param batchSize samples per batch (per rank)
 * @param fields names of the fields to collate; empty for all
 * @param shuffle shuffle shard order and draw samples through the window; false reads in order
 * @param seed base seed of the order
 * @param rank this reader's rank in {@code [0, worldSize)}
 * @param worldSize number of ranks sharing each epoch
 * @param remainder what to do with samples that do not divide among ranks (docs/LOADER.md section 4)
 * @param window shards open at once for the bounded shuffle: the shuffle buffer holds at most
 *     {@code window x} the largest shard's samples and bytes (see {@link Loader#memory()} and
 *     docs/LOADER.md "Memory bound"); part of the order, so a resume must use the same window
 * @param prefetch shards fetched ahead of the open window; the loader holds
 *     {@code window + max(1, prefetch)} shard buffers of the largest shard's size
 * @param dropLast drop a final partial batch (training) or deliver it (evaluation)
 * @param verifyChecksums check every shard's CRC32C when it is loaded
 * @param partBytes a shard is fetched as ranged reads of this size, in parallel
 * @param batchBuffers host batch buffers in the pool (batches in flight between loader and trainer)
 * @param images the decode stage of an encoded image field, or null for none: that field is then
 *     delivered as uint8 {@code [height, width, 3]} (see {@link ImageStage})
 */
public record LoaderConfig(
        String split,
        int batchSize,
        List<String> fields,
        boolean shuffle,
        long seed,
        int rank,
        int worldSize,
        Remainder remainder,
        int window,
        int prefetch,
        boolean dropLast,
        boolean verifyChecksums,
        long partBytes,
        int batchBuffers,
        ImageStage images) {

    public LoaderConfig {
        fields = List.copyOf(fields);
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        }
        if (worldSize <= 0 || rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("rank " + rank + " is outside a world of size " + worldSize);
        }
        if (window <= 0 || prefetch < 0 || batchBuffers < 2 || partBytes <= 0) {
            throw new IllegalArgumentException("window must be >= 1, prefetch >= 0, batch buffers >= 2, part size > 0");
        }
    }

    /** Training defaults: shuffled, 4 open shards, 2 prefetched, 8 MiB parts, 4 batch buffers. */
    public static LoaderConfig training(String split, int batchSize, long seed) {
        return new LoaderConfig(split, batchSize, List.of(), true, seed, 0, 1, Remainder.DROP, 4, 2, true, true,
                8L << 20, 4, null);
    }

    /** Evaluation defaults: in order, every sample once, final partial batch kept. */
    public static LoaderConfig evaluation(String split, int batchSize) {
        return new LoaderConfig(split, batchSize, List.of(), false, 0, 0, 1, Remainder.DROP, 1, 2, false, true,
                8L << 20, 4, null);
    }

    public LoaderConfig withRank(int rank, int worldSize) {
        return new LoaderConfig(split, batchSize, fields, shuffle, seed, rank, worldSize, remainder, window, prefetch,
                dropLast, verifyChecksums, partBytes, batchBuffers, images);
    }

    public LoaderConfig withFields(List<String> names) {
        return new LoaderConfig(split, batchSize, names, shuffle, seed, rank, worldSize, remainder, window, prefetch,
                dropLast, verifyChecksums, partBytes, batchBuffers, images);
    }

    public LoaderConfig withShuffle(boolean on, int openShards) {
        return new LoaderConfig(split, batchSize, fields, on, seed, rank, worldSize, remainder, openShards, prefetch,
                dropLast, verifyChecksums, partBytes, batchBuffers, images);
    }

    public LoaderConfig withRemainder(Remainder r) {
        return new LoaderConfig(split, batchSize, fields, shuffle, seed, rank, worldSize, r, window, prefetch,
                dropLast, verifyChecksums, partBytes, batchBuffers, images);
    }

    public LoaderConfig withDropLast(boolean drop) {
        return new LoaderConfig(split, batchSize, fields, shuffle, seed, rank, worldSize, remainder, window, prefetch,
                drop, verifyChecksums, partBytes, batchBuffers, images);
    }

    public LoaderConfig withIo(int prefetchShards, long partSize, int buffers) {
        return new LoaderConfig(split, batchSize, fields, shuffle, seed, rank, worldSize, remainder, window,
                prefetchShards, dropLast, verifyChecksums, partSize, buffers, images);
    }

    public LoaderConfig withVerifyChecksums(boolean verify) {
        return new LoaderConfig(split, batchSize, fields, shuffle, seed, rank, worldSize, remainder, window, prefetch,
                dropLast, verify, partBytes, batchBuffers, images);
    }

    /** A config without a decode stage (the form before decode stages existed). */
    public LoaderConfig(String split, int batchSize, List<String> fields, boolean shuffle, long seed, int rank,
                        int worldSize, Remainder remainder, int window, int prefetch, boolean dropLast,
                        boolean verifyChecksums, long partBytes, int batchBuffers) {
        this(split, batchSize, fields, shuffle, seed, rank, worldSize, remainder, window, prefetch, dropLast,
                verifyChecksums, partBytes, batchBuffers, null);
    }

    /** This config with a decode stage for an encoded image field (null for none). */
    public LoaderConfig withImages(ImageStage stage) {
        return new LoaderConfig(split, batchSize, fields, shuffle, seed, rank, worldSize, remainder, window, prefetch,
                dropLast, verifyChecksums, partBytes, batchBuffers, stage);
    }
}
