package dev.sluice.engine.cli;

import dev.sluice.data.format.Split;
import dev.sluice.data.ingest.Importer;
import dev.sluice.data.ingest.Ingest;
import dev.sluice.data.ingest.Sources;
import dev.sluice.data.store.FileStore;
import dev.sluice.data.store.ObjectStore;
import dev.sluice.data.store.Stores;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** {@code ingest --from imagefolder:|wds:|jsonl:|tokens:}: opens the source and runs {@link Ingest}. */
final class SourceIngest {

    private SourceIngest() {}

    static int run(IngestCommand c) throws Exception {
        if (c.classes != null || !c.compress.isEmpty()) {
            throw new UserException("--classes and --compress apply to idx: sources only");
        }
        long t0 = System.nanoTime();
        Sources.Options so = new Sources.Options(c.split, c.fields, c.dtype, c.seqLen, c.storeOptions.toOptions());
        try (Importer importer = Sources.open(c.from, so);
             ObjectStore store = Stores.open(c.to, c.storeOptions.toOptions());
             IngestProgressBar bar = new IngestProgressBar(c.from.startsWith("imagefolder:") ? " files" : " samples")) {
            Path stage = c.staging != null ? c.staging
                    : store instanceof FileStore fs ? fs.root().resolve(".sluice-staging")
                    : Files.createTempDirectory("sluice-ingest");
            String name = c.name != null ? c.name : store.exists("manifest.json") ? null : lastPart(c.to);
            Ingest.Options o = Ingest.Options.defaults(name, stage).withShardBytes(c.shardSize)
                    .withReplace(c.replace).withStrict(c.strict).withResume(c.resume)
                    .withThreads(c.threads > 0 ? c.threads : Runtime.getRuntime().availableProcessors())
                    .withProgress(bar).withNotes(System.out::println);
            Ingest.Result r = new Ingest(importer, store, o).run();
            bar.close();
            double secs = (System.nanoTime() - t0) / 1e9;
            for (String split : importer.splits()) {
                Split s = r.manifest().split(split);
                System.out.printf(Locale.ROOT, "Wrote split '%s' of %s: %,d samples in %d shard(s), %.1f MB%n",
                        split, store.location(), s.samples(), s.shards().size(), s.bytes() / 1e6);
            }
            if (r.resumedShards() > 0) {
                System.out.printf(Locale.ROOT, "Kept %d shard(s) written by the interrupted ingest%n", r.resumedShards());
            }
            if (r.skipped() > 0) {
                System.out.printf(Locale.ROOT, "Skipped %,d unreadable input(s) (--strict makes them fatal), e.g.:%n",
                        r.skipped());
                r.skippedExamples().forEach(e -> System.out.println("  " + e));
            }
            System.out.printf(Locale.ROOT, "Done in %.1f s%n", secs);
            return 0;
        }
    }

    private static String lastPart(String location) {
        String l = location.replaceAll("/+$", "");
        return l.substring(l.lastIndexOf('/') + 1);
    }
}
