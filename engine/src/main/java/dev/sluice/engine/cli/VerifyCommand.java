package dev.sluice.engine.cli;

import dev.sluice.engine.datasets.DefaultDataset;
import dev.sluice.data.format.Dataset;
import dev.sluice.data.format.Split;
import dev.sluice.data.format.Verifier;
import dev.sluice.data.store.ObjectStore;
import dev.sluice.data.store.Stores;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code train.jar verify}: check every checksum. */
@Command(name = "verify", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Check every shard of a dataset: size, CRC32C, header and index, compressed values.",
            "Names each bad shard and what is wrong; exits 1 if any shard is bad."})
public final class VerifyCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "LOCATION", arity = "0..1",
            description = "Dataset: a directory, file:///dir or s3://bucket/prefix (default: the Fashion-MNIST cache).")
    String location;

    @Option(names = {"-q", "--quiet"}, description = "Print only bad shards and the summary.")
    boolean quiet;

    @Mixin
    StoreOptionsMixin storeOptions;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        String loc = location != null ? location : DefaultDataset.location().toString();
        try (ObjectStore store = Stores.open(loc, storeOptions.toOptions())) {
            // the manifest only: a missing or truncated shard is reported with the others, not fatal
            Dataset ds = Dataset.openManifest(store);
            int total = ds.manifest().splits().values().stream().mapToInt(s -> s.shards().size()).sum();
            long bytes = ds.manifest().splits().values().stream().mapToLong(Split::bytes).sum();
            long t0 = System.nanoTime();
            int[] done = {0};
            List<Verifier.ShardCheck> checks = new Verifier(ds).verify(c -> {
                done[0]++;
                if (!c.ok()) {
                    out.printf("BAD  [%d/%d] %s: %s%n", done[0], total, c.shard().key(), c.problem());
                } else if (!quiet) {
                    out.printf("ok   [%d/%d] %s%n", done[0], total, c.shard().key());
                }
            });
            long bad = checks.stream().filter(c -> !c.ok()).count();
            double secs = (System.nanoTime() - t0) / 1e9;
            if (bad == 0) {
                out.printf(Locale.ROOT, "all %d shards of %s are good (%.1f MB checked in %.1f s)%n", total,
                        store.location(), bytes / 1e6, secs);
                return 0;
            }
            out.printf("%d of %d shards of %s are bad:%n", bad, total, store.location());
            checks.stream().filter(c -> !c.ok()).forEach(c -> out.println("  " + c.shard().key()));
            out.println("restore them from a backup or re-run ingest for their split");
            return 1;
        }
    }
}
