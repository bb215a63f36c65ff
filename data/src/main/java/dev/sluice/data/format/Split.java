package dev.sluice.data.format;

import java.util.List;

/**
 * A named partition of a dataset (e.g. {@code train}, {@code test}) and its shards in order.
 * Sample {@code i} of a split is found by walking the shards' sample counts.
 */
public record Split(String name, List<ShardInfo> shards) {

    public Split {
        shards = List.copyOf(shards);
    }

    /** Samples in the split. */
    public long samples() {
        long n = 0;
        for (ShardInfo s : shards) {
            n += s.samples();
        }
        return n;
    }

    /** Bytes of all shards of the split. */
    public long bytes() {
        long n = 0;
        for (ShardInfo s : shards) {
            n += s.bytes();
        }
        return n;
    }

    /** Largest shard in bytes (sizes shard buffers). */
    public long maxShardBytes() {
        long m = 0;
        for (ShardInfo s : shards) {
            m = Math.max(m, s.bytes());
        }
        return m;
    }
}
