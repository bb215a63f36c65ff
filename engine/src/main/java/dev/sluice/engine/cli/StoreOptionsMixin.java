package dev.sluice.engine.cli;

import dev.sluice.data.store.HedgePolicy;
import dev.sluice.data.store.StoreOptions;
import picocli.CommandLine.Option;

/** Options that say how to reach a dataset's store (S3 endpoint, region, parts, concurrency). */
public final class StoreOptionsMixin {

    @Option(names = "--s3-endpoint", paramLabel = "URL",
            description = "S3-compatible endpoint, e.g. http://127.0.0.1:9000 (implies path-style access).")
    String endpoint;

    @Option(names = "--region", paramLabel = "REGION",
            description = "AWS region (default: the SDK's region chain, else us-east-1).")
    String region;

    @Option(names = "--path-style", description = "Use path-style S3 addressing (endpoint/bucket/key).")
    boolean pathStyle;

    @Option(names = "--anonymous", description = "Unsigned S3 requests, for public buckets.")
    boolean anonymous;

    @Option(names = "--part-size", paramLabel = "SIZE", defaultValue = "8MB",
            converter = ByteSizeConverter.class,
            description = "Size of each ranged read when a shard is fetched (default: ${DEFAULT-VALUE}).")
    long partBytes;

    @Option(names = "--concurrency", paramLabel = "N", defaultValue = "16",
            description = "Store requests in flight (default: ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--hedge", paramLabel = "FRACTION", defaultValue = "" + HedgePolicy.DEFAULT_MAX_FRACTION,
            description = "Hedged reads: a ranged read still unanswered after max(100 ms, 3 x p95 latency), while reads"
                    + " started a median latency after it have finished (or it is the only one in flight), is sent"
                    + " again, first answer wins; at most this fraction of reads"
                    + " (default: ${DEFAULT-VALUE}; 0 turns hedging off).")
    double hedge;

    /** The options as a value. */
    public StoreOptions toOptions() {
        if (!(hedge >= 0 && hedge <= 1)) {
            throw new UserException("--hedge must be a fraction between 0 and 1, got " + hedge);
        }
        StoreOptions o = new StoreOptions(endpoint, region, pathStyle || endpoint != null, anonymous, partBytes,
                concurrency);
        return o.withHedge(o.hedge().withMaxFraction(hedge));
    }
}
