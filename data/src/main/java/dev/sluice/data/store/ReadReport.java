package dev.sluice.data.store;

/**
 * What one completed ranged read took.
 *
 * @param attempts store attempts made (1 unless retried)
 * @param hedged whether a second request was sent because the read was slow (see {@link HedgePolicy})
 */
public record ReadReport(int attempts, boolean hedged) {

    /** One attempt, no hedge: what a store without retries reports. */
    public static final ReadReport ONE = new ReadReport(1, false);
}
