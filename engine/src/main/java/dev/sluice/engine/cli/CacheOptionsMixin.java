package dev.sluice.engine.cli;

import dev.sluice.data.loader.ShardCache;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Options of the local shard cache ({@code --cache-dir}, {@code --cache-bytes}) for commands that
 * stream a dataset: shards fetched from the store are kept on local disk within a byte budget, least
 * recently used out first, and later epochs read them from there.
 */
public final class CacheOptionsMixin {

    /** Budget when {@code --cache-dir} is given without {@code --cache-bytes}. */
    static final String DEFAULT_BYTES = "10GB";

    @Option(names = "--cache-dir", paramLabel = "DIR",
            description = "Keep fetched shards in this local directory and read later epochs from it"
                    + " (shared by the processes of a node: each shard is downloaded once; default: no cache).")
    Path dir;

    @Option(names = "--cache-bytes", paramLabel = "SIZE", converter = ByteSizeConverter.class,
            description = "Most bytes the shard cache keeps on disk, least recently used out first (default: "
                    + DEFAULT_BYTES + ").")
    Long bytes;

    /** The cache the options describe, or null without {@code --cache-dir}. */
    public ShardCache open() {
        if (dir == null) {
            if (bytes != null) {
                throw new UserException("--cache-bytes needs --cache-dir DIR (the directory to keep shards in)");
            }
            return null;
        }
        long budget = bytes != null ? bytes : ByteSizeConverter.parse(DEFAULT_BYTES);
        try {
            return new ShardCache(dir, budget);
        } catch (IOException e) {
            throw new UserException("--cache-dir " + dir + " cannot be used as a shard cache: " + e.getMessage());
        }
    }
}
