package dev.sluice.data.loader;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * JFR event for one shard the loader fetched into a slab: its duration is the shard's fetch time
 * (all parts, the check and indexing included). Recorded only while a recording enables it
 * ({@code java -XX:StartFlightRecording ...}).
 */
@Name("dev.sluice.ShardFetch")
@Label("Shard Fetch")
@Category({"Sluice", "Data"})
@Description("One shard fetched by the loader, from the store or the local cache")
@StackTrace(false)
final class ShardFetchEvent extends jdk.jfr.Event {

    @Label("Key")
    String key;

    @Label("Bytes")
    @DataAmount
    long bytes;

    @Label("Parts")
    @Description("Ranged reads the shard was fetched as (0 from the cache)")
    int parts;

    @Label("Attempts")
    @Description("Store attempts over all parts (equal to parts when nothing was retried)")
    int attempts;

    @Label("Hedged")
    @Description("Whether any part was sent a second time because it was slow")
    boolean hedged;

    @Label("From Cache")
    boolean cached;

    /** Ends and commits the event, if a recording wants it. */
    void commit(String shardKey, long shardBytes, int partCount, int attemptCount, boolean anyHedged,
            boolean fromCache) {
        end();
        if (shouldCommit()) {
            key = shardKey;
            bytes = shardBytes;
            parts = partCount;
            attempts = attemptCount;
            hedged = anyHedged;
            cached = fromCache;
            commit();
        }
    }
}
