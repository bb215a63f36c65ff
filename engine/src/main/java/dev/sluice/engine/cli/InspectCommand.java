package dev.sluice.engine.cli;

import dev.sluice.engine.datasets.DefaultDataset;
import dev.sluice.data.format.Dataset;
import dev.sluice.data.format.FieldSpec;
import dev.sluice.data.format.Manifest;
import dev.sluice.data.format.ManifestCodec;
import dev.sluice.data.format.ShardInfo;
import dev.sluice.data.format.Split;
import dev.sluice.data.store.ObjectStore;
import dev.sluice.data.store.Stores;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code train.jar inspect}: what a dataset holds. */
@Command(name = "inspect", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Print a dataset's schema, splits, sample counts, shards and sizes.")
public final class InspectCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "LOCATION", arity = "0..1",
            description = "Dataset: a directory, file:///dir or s3://bucket/prefix (default: the Fashion-MNIST cache).")
    String location;

    @Option(names = "--shards", description = "List every shard with its samples, size and CRC32C.")
    boolean shards;

    @Option(names = "--json", description = "Print the manifest as JSON instead.")
    boolean json;

    @Mixin
    StoreOptionsMixin storeOptions;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        String loc = location != null ? location : DefaultDataset.location().toString();
        try (ObjectStore store = Stores.open(loc, storeOptions.toOptions())) {
            Manifest m = Dataset.open(store).manifest();
            if (json) {
                out.print(new String(ManifestCodec.encode(m), StandardCharsets.UTF_8));
                return 0;
            }
            out.printf("dataset   %s%nlocation  %s%nformat    %d.%d%ncreated   %s%n", m.name(), store.location(),
                    m.major(), m.minor(), m.created());
            out.println("fields");
            boolean anyVariable = false;
            for (FieldSpec f : m.schema().fields()) {
                anyVariable |= f.variable();
                out.printf(Locale.ROOT, "  %-12s %-8s %-14s %-6s %s%s%n", f.name(), f.dtype().jsonName(),
                        Arrays.toString(f.shape()), f.compression().jsonName(), size(f),
                        f.classes().isEmpty() ? "" : ", " + f.classes().size() + " classes " + preview(f));
            }
            out.println("splits");
            long total = 0;
            for (Split s : m.splits().values()) {
                total += s.bytes();
                // the manifest records sizes per shard, not per field: a variable-length field's size is
                // known only as part of the split's mean, which is what is shown
                String mean = anyVariable && s.samples() > 0
                        ? String.format(Locale.ROOT, ", mean %,.1f bytes/sample as stored",
                                (double) s.bytes() / s.samples())
                        : "";
                out.printf(Locale.ROOT, "  %-12s %,12d samples %6d shards %10.1f MB%s%n", s.name(), s.samples(),
                        s.shards().size(), s.bytes() / 1e6, mean);
                if (shards) {
                    for (ShardInfo sh : s.shards()) {
                        out.printf(Locale.ROOT, "    %-48s %,10d samples %,14d bytes crc32c %s%n", sh.key(),
                                sh.samples(), sh.bytes(), sh.crc32cHex());
                    }
                }
            }
            out.printf(Locale.ROOT, "total     %.1f MB%n", total / 1e6);
            if (!m.metadata().isEmpty()) {
                out.println("metadata");
                for (Map.Entry<String, String> e : m.metadata().entrySet()) {
                    out.printf("  %s = %s%n", e.getKey(), e.getValue());
                }
            }
            return 0;
        }
    }

    /**
     * One sample's size: fixed fields have one; a variable-length field's values differ in size
     * (the split lines give the stored mean).
     */
    private static String size(FieldSpec f) {
        if (f.variable()) {
            return "variable length" + (f.encoding() == null ? "" : ", encoding " + f.encoding());
        }
        return String.format(Locale.ROOT, "%,d bytes/sample", f.sampleBytes());
    }

    private static String preview(FieldSpec f) {
        int n = Math.min(4, f.classes().size());
        return "(" + String.join(", ", f.classes().subList(0, n)) + (f.classes().size() > n ? ", ..." : "") + ")";
    }
}
