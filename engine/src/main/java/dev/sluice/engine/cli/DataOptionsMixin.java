package dev.sluice.engine.cli;

import dev.sluice.data.store.ObjectStore;
import dev.sluice.data.store.StoreOptions;
import dev.sluice.data.store.Stores;
import java.io.IOException;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The options every command that reads a dataset shares: where it is ({@code --data} and how to
 * reach its store), which split, and whether results are printed as JSON lines. What {@code --data}
 * defaults to is the command's own (its description says).
 */
public final class DataOptionsMixin {

    /** The location when {@code --data} is not given. */
    @FunctionalInterface
    public interface Fallback {
        String location() throws IOException;
    }

    @Option(names = "--data", paramLabel = "LOCATION",
            description = "Dataset: a directory, file:///dir or s3://bucket/prefix (default: see the description above).")
    String data;

    @Option(names = "--split", defaultValue = "train", description = "Split (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--json", description = "Print results as JSON, one object per line.")
    boolean json;

    @Mixin
    StoreOptionsMixin store;

    /** {@code --data}, or the command's default. */
    String location(Fallback fallback) throws IOException {
        return data != null ? data : fallback.location();
    }

    /** How to reach the store. */
    StoreOptions storeOptions() {
        return store.toOptions();
    }

    /** Opens the store at {@code location} with the store options; the caller closes it. */
    ObjectStore open(String location) throws IOException {
        return Stores.open(location, storeOptions());
    }
}
