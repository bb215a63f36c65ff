package dev.sluice.spark;

import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What one task attempt reports: the shards it published, and per detected-encoding column the encodings
 * its values had ({@code ""} for a value no encoding was recognised for).
 */
record TaskResult(List<ShardDescriptor> shards, Map<String, Set<String>> encodings) implements Serializable {}
