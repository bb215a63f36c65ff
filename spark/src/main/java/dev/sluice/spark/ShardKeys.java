package dev.sluice.spark;

import java.util.regex.Pattern;

/**
 * Shard keys of a Spark write: {@code <split>/<split>-<job>-p<partition>-<sequence>.shard}. A key is a
 * function of (job, partition, sequence) and not of the task attempt, so a retried or speculative
 * attempt of a partition writes the same keys as the first and replaces its output instead of adding
 * to it.
 */
final class ShardKeys {

    private ShardKeys() {}

    static String key(String split, String jobId, int partition, int sequence) {
        return String.format("%s/%s-%s-p%05d-%05d.shard", split, split, jobId, partition, sequence);
    }

    /** Matches every key {@link #key} can produce for this job, in any split. */
    static Pattern ofJob(String jobId) {
        return Pattern.compile("([A-Za-z0-9_.-]+)/\\1-" + Pattern.quote(jobId) + "-p[0-9]+-[0-9]+\\.shard");
    }
}
