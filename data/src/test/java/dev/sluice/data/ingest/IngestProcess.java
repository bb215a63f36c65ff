package dev.sluice.data.ingest;

import dev.sluice.data.store.FileStore;
import java.nio.file.Path;

/**
 * An image-folder ingest in its own JVM, for tests that bound its memory or kill it: args are
 * SOURCE_DIR DATASET_DIR STAGING_DIR SHARD_BYTES RESUME(true|false). Prints "progress N" every 1,000
 * inputs and "done RESUMED_SHARDS SKIPPED" at the end.
 */
public final class IngestProcess {

    private IngestProcess() {}

    public static void main(String[] args) throws Exception {
        try (FileStore store = new FileStore(Path.of(args[1]));
             ImageFolderImporter imp = new ImageFolderImporter(Path.of(args[0]), "train")) {
            IngestProgress progress = new IngestProgress() {
                long last;

                @Override
                public void start(String split, long inputs) {
                    System.out.println("total " + inputs);
                }

                @Override
                public void update(long inputsDone, long sourceBytes) {
                    if (inputsDone / 1000 != last / 1000) {
                        System.out.println("progress " + inputsDone);
                        System.out.flush();
                    }
                    last = inputsDone;
                }
            };
            Ingest.Result r = new Ingest(imp, store, Ingest.Options.defaults("big", Path.of(args[2]))
                    .withShardBytes(Long.parseLong(args[3])).withResume(Boolean.parseBoolean(args[4]))
                    .withThreads(2).withProgress(progress)).run();
            System.out.println("done " + r.resumedShards() + " " + r.skipped());
        }
    }
}
