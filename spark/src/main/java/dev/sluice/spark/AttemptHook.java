package dev.sluice.spark;

import java.io.IOException;
import java.io.Serializable;

/** Called by a task after each shard it publishes; tests use it to fail chosen attempts part-way. */
@FunctionalInterface
interface AttemptHook extends Serializable {

    AttemptHook NONE = (partition, attempt, published) -> { };

    /**
     * @param partition the task's partition
     * @param attempt the task attempt number (0 for the first)
     * @param published shards this attempt has published so far
     */
    void afterShard(int partition, int attempt, int published) throws IOException;
}
