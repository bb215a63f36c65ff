package dev.sluice.spark;

import dev.sluice.data.format.ShardInfo;
import java.io.Serializable;

/**
 * What a task reports to the driver for one shard it published: where it belongs in the dataset
 * (split, partition, sequence within the partition) and its manifest entry.
 */
record ShardDescriptor(String split, int partition, int sequence, String key, long samples, long bytes, long crc32c)
        implements Serializable {

    static ShardDescriptor of(String split, int partition, int sequence, ShardInfo info) {
        return new ShardDescriptor(split, partition, sequence, info.key(), info.samples(), info.bytes(), info.crc32c());
    }

    ShardInfo info() {
        return new ShardInfo(key, samples, bytes, crc32c);
    }
}
