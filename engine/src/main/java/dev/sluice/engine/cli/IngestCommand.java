package dev.sluice.engine.cli;

import dev.sluice.data.format.Manifest;
import dev.sluice.data.format.Split;
import dev.sluice.data.ingest.IdxImporter;
import dev.sluice.data.ingest.Importer;
import dev.sluice.data.ingest.Ingest;
import dev.sluice.data.ingest.IngestUsageException;
import dev.sluice.data.ingest.Sources;
import dev.sluice.data.store.FileStore;
import dev.sluice.data.store.ObjectStore;
import dev.sluice.data.store.Stores;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code train.jar ingest}: import source files as one split of a Sluice dataset. */
@Command(name = "ingest", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Import source data as one split of a Sluice dataset on disk or S3.",
            "Shards are written under a temporary name and published one by one; the manifest is written last, so"
                    + " readers never see a half-written dataset, and a failed ingest removes what it wrote.",
            "Ingesting into an existing dataset adds the split (or replaces it with --replace); other splits stay.",
            "",
            "An interrupted ingest (killed, machine lost) leaves a journal; rerun the same command with --resume to"
                    + " keep the shards it wrote and continue.",
            "",
            "Examples: train.jar ingest --from idx:train-images-idx3-ubyte.gz,train-labels-idx1-ubyte.gz \\",
            "                          --to /data/fmnist --split train --classes fashion-mnist",
            "          train.jar ingest --from imagefolder:/data/imagenet --to s3://bucket/imagenet",
            "          train.jar ingest --from 'wds:s3://bucket/laion/{000000..000146}.tar' --to /data/laion",
            "          train.jar ingest --from jsonl:reviews.jsonl.zst --fields text:string,label:int64 --to /data/reviews",
            "          train.jar ingest --from tokens:train.bin --dtype uint16 --seq-len 1024 --to /data/owt"
        })
public final class IngestCommand implements Callable<Integer> {

    @Option(names = "--from", required = true, paramLabel = "SOURCE",
            description = {"Source: idx:IMAGES,LABELS (MNIST-family IDX files, plain or .gz);"
                    + " imagefolder:DIR|s3://bucket/prefix (one subdirectory per class; train/ and val/ become splits);"
                    + " wds:PATTERN (WebDataset tars, a path or s3://, with {000..123} ranges);"
                    + " jsonl:FILE (.gz, .zst too; needs --fields); tokens:FILE (needs --dtype and --seq-len)."})
    String from;

    @Option(names = "--fields", paramLabel = "NAME:TYPE,...",
            description = "jsonl: the fields to take and their types, e.g. text:string,label:int64,ids:int32[].")
    String fields;

    @Option(names = "--dtype", description = "tokens: the token type, uint16 or uint32.")
    String dtype;

    @Option(names = "--seq-len", paramLabel = "N", defaultValue = "0",
            description = "tokens: sequence length; each sample holds N+1 tokens (input 0..N-1, targets 1..N).")
    int seqLen;

    @Option(names = "--strict", description = "imagefolder: fail on the first file that is not a readable image"
            + " instead of skipping and counting it.")
    boolean strict;

    @Option(names = "--resume", description = "Continue an interrupted ingest of the same source and options,"
            + " keeping the shards it wrote.")
    boolean resume;

    @Option(names = "--threads", defaultValue = "0",
            description = "Threads reading and checking inputs (default: one per core).")
    int threads;

    @Option(names = "--to", required = true, paramLabel = "LOCATION",
            description = "Dataset location: a directory, file:///dir or s3://bucket/prefix; a directory must be new,"
                    + " empty, a dataset or an interrupted ingest's.")
    String to;

    @Option(names = "--split", defaultValue = "train", description = "Split name (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--name", description = "Dataset name recorded in the manifest (default: the location's last part).")
    String name;

    @Option(names = "--shard-size", defaultValue = "64MB", converter = ByteSizeConverter.class,
            description = "Target shard size (default: ${DEFAULT-VALUE}).")
    long shardSize;

    @Option(names = "--classes", paramLabel = "NAMES",
            description = "Class names: a comma-separated list, or 'fashion-mnist' (default: the label values).")
    String classes;

    @Option(names = "--compress", paramLabel = "FIELD", split = ",",
            description = "idx: sources only: fields to store zstd-compressed, e.g. --compress image (the other"
                    + " sources keep encoded images as they are).")
    List<String> compress = new ArrayList<>();

    @Option(names = "--hashed-prefixes", defaultValue = "1", paramLabel = "N",
            description = "Spread shard keys over N hashed key prefixes (S3 serves about 5,500 GET/s per prefix);"
                    + " readers need nothing new (default: ${DEFAULT-VALUE}, flat keys).")
    int hashedPrefixes;

    @Option(names = "--replace", description = "Replace the split if the dataset already has it.")
    boolean replace;

    @Option(names = "--staging", paramLabel = "DIR",
            description = "Local directory for shards before upload; they wait in a new subdirectory, removed"
                    + " afterwards (default: inside the target for a directory, else the system temporary directory).")
    Path staging;

    @Option(names = "--progress", defaultValue = "auto",
            description = "Progress: auto (a bar when stderr is a terminal, else a line every few seconds), always"
                    + " (the bar) or never (the lines) (default: ${DEFAULT-VALUE}).")
    String progress;

    @Mixin
    StoreOptionsMixin storeOptions;

    @Override
    public Integer call() throws Exception {
        boolean idx = from.startsWith("idx:");
        if (!idx && (classes != null || !compress.isEmpty())) {
            throw new UserException("--classes and --compress apply to idx: sources only");
        }
        if (staging != null && Files.exists(staging) && !Files.isDirectory(staging)) {
            throw new UserException("--staging " + staging + " is a file, not a directory; pass a directory");
        }
        if (!split.matches("[A-Za-z0-9_.-]+")) {
            // the writer would refuse it only after the journal and staging exist
            throw new UserException("--split '" + split + "': a split name holds letters, digits, '_', '.' and '-' only");
        }
        if (hashedPrefixes < 1 || hashedPrefixes > 4096) {
            throw new UserException("--hashed-prefixes must be 1 to 4096, got " + hashedPrefixes);
        }
        List<String> classNames = classes == null ? null
                : classes.equals("fashion-mnist") ? IdxImporter.FASHION_MNIST_CLASSES
                : Arrays.stream(classes.split(",")).map(String::trim).toList();
        long t0 = System.nanoTime();
        Sources.Options so = new Sources.Options(split, fields, dtype, seqLen, storeOptions.toOptions(), classNames,
                Set.copyOf(compress));
        boolean bar = ProgressMode.bar(progress);
        ObjectStore store;
        try {
            store = Stores.open(to, storeOptions.toOptions());
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
        try (store) {
            // checked before the source is opened: listing a large source can take a while
            IngestTarget target = store instanceof FileStore fs ? IngestTarget.check(fs.root(), staging == null) : null;
            int rc;
            try {
                rc = ingest(so, store, bar, t0);
            } catch (IngestUsageException e) {
                // found before anything was read or written (or removed): the user fixes the command line
                throw new UserException(e.getMessage());
            } catch (Exception | Error e) {
                if (target != null) {
                    try {
                        target.removeStaging();
                        target.removeCreated();
                    } catch (IOException | RuntimeException cleanup) {
                        e.addSuppressed(cleanup);
                    }
                }
                throw e;
            }
            if (target != null) {
                target.removeStaging();
            }
            return rc;
        }
    }

    private int ingest(Sources.Options so, ObjectStore store, boolean bar, long t0) throws IOException {
        try (Importer importer = Sources.open(from, so);
             IngestProgressBar progressBar = new IngestProgressBar(
                     from.startsWith("imagefolder:") ? "files" : "samples", bar)) {
            String dsName = name != null ? name : store.exists(Manifest.KEY) ? null : lastPart(to);
            Ingest.Options o = Ingest.Options.defaults(dsName, stagingDir(store)).withShardBytes(shardSize)
                    .withReplace(replace).withStrict(strict).withResume(resume).withHashedPrefixes(hashedPrefixes)
                    .withThreads(threads > 0 ? threads : Runtime.getRuntime().availableProcessors())
                    .withProgress(progressBar).withNotes(System.out::println);
            Ingest.Result r = new Ingest(importer, store, o).run();
            progressBar.close();
            double secs = (System.nanoTime() - t0) / 1e9;
            for (String s : importer.splits()) {
                Split sp = r.manifest().split(s);
                System.out.printf(Locale.ROOT, "Wrote split '%s' of %s: %,d samples in %d shard(s), %.1f MB%n",
                        s, store.location(), sp.samples(), sp.shards().size(), sp.bytes() / 1e6);
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

    /**
     * Where shards wait before they are published: a fresh directory inside {@code --staging} (the
     * user's directory itself keeps only what was there), {@value IngestTarget#STAGING} inside a
     * local target (which {@link IngestTarget#removeStaging} removes when the ingest ends), or a fresh one in the system
     * temporary directory. The writer creates it, and removes the files it staged and a directory
     * it created. Nothing is created here, so a usage error leaves no trace.
     */
    private Path stagingDir(ObjectStore store) {
        String fresh = "sluice-ingest-" + UUID.randomUUID();
        if (staging != null) {
            return staging.resolve(fresh);
        }
        if (store instanceof FileStore fs) {
            return fs.root().resolve(IngestTarget.STAGING);
        }
        return Path.of(System.getProperty("java.io.tmpdir")).resolve(fresh);
    }

    private static String lastPart(String location) {
        String l = location.replaceAll("/+$", "");
        return l.substring(l.lastIndexOf('/') + 1);
    }
}
