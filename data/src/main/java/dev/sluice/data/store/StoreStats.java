package dev.sluice.data.store;

/**
 * What a store has done since it was opened, for metrics and tests. Stores that count nothing
 * (a local {@link FileStore}) report {@link #NONE}.
 *
 * @param attempts attempts started (first tries and retries, every operation)
 * @param retries requests made again after a failure: the store's own retries plus the S3 client's
 *     (the CRT retries a failed part once by itself; counted from the SDK's metrics, which arrive
 *     shortly after the request ends)
 * @param failures operations that failed for good
 * @param shortReads read attempts whose response ended before the requested range was complete
 *     although the transport reported success (caught by the store, then retried)
 * @param bytesRead bytes delivered by completed reads
 * @param bytesWritten bytes of completed uploads
 * @param hedges second requests sent for reads that were slow to answer (not counted in
 *     {@code attempts}; see {@link HedgePolicy})
 * @param hedgeWins hedges that answered before the request they duplicated
 * @param throttled attempts the server answered with a throttling error (503 SlowDown, 429); each
 *     slows down requests to that key prefix only (see {@code PrefixGates})
 * @param prefixWaits attempts that waited because their key prefix was being throttled
 */
public record StoreStats(long attempts, long retries, long failures, long shortReads, long bytesRead,
        long bytesWritten, long hedges, long hedgeWins, long throttled, long prefixWaits) {

    /** All zero: a store that keeps no counts, or one that has done nothing yet. */
    public static final StoreStats NONE = new StoreStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    /** Counts accumulated since {@code earlier} (a snapshot of the same store). */
    public StoreStats minus(StoreStats earlier) {
        return new StoreStats(attempts - earlier.attempts, retries - earlier.retries, failures - earlier.failures,
                shortReads - earlier.shortReads, bytesRead - earlier.bytesRead, bytesWritten - earlier.bytesWritten,
                hedges - earlier.hedges, hedgeWins - earlier.hedgeWins,
                throttled - earlier.throttled, prefixWaits - earlier.prefixWaits);
    }
}
