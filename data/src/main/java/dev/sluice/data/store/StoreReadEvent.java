package dev.sluice.data.store;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * JFR event for one completed ranged read of a remote store (a part of a shard): its duration is
 * the read's latency, retries and hedges included. Recorded only while a recording enables it
 * ({@code java -XX:StartFlightRecording ...}); otherwise it costs one small object per read.
 */
@Name("dev.sluice.StoreRead")
@Label("Store Read")
@Category({"Sluice", "Data"})
@Description("One ranged read of a remote object store, retries and hedges included")
@StackTrace(false)
final class StoreReadEvent extends jdk.jfr.Event {

    @Label("Store")
    String store;

    @Label("Key")
    String key;

    @Label("Offset")
    @DataAmount
    long offset;

    @Label("Bytes")
    @DataAmount
    long bytes;

    @Label("Attempts")
    int attempts;

    @Label("Hedged")
    boolean hedged;

    /** Ends and commits the event, if a recording wants it. */
    void commit(String storeLocation, String objectKey, long from, long length, ReadReport report) {
        end();
        if (shouldCommit()) {
            store = storeLocation;
            key = objectKey;
            offset = from;
            bytes = length;
            attempts = report.attempts();
            hedged = report.hedged();
            commit();
        }
    }
}
