package dev.sluice.data.ingest;

import dev.sluice.data.format.ChecksumMismatchException;
import dev.sluice.data.format.DType;
import dev.sluice.data.format.Dataset;
import dev.sluice.data.format.DatasetWriter;
import dev.sluice.data.format.FieldSpec;
import dev.sluice.data.format.Manifest;
import dev.sluice.data.format.MissingShardException;
import dev.sluice.data.format.Schema;
import dev.sluice.data.format.ShardInfo;
import dev.sluice.data.store.ObjectInfo;
import dev.sluice.data.store.ObjectStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

/**
 * Runs an {@link Importer} into a dataset: inputs are listed in order on the calling thread, read
 * and validated on a pool of workers with a bounded window of inputs in flight, and written in
 * listing order, so the same inputs give the same samples in the same shards however many threads
 * run. Shards are published as they fill and recorded in a journal ({@link IngestJournal}); the
 * manifest is written last and the journal then deleted. An ingest that fails with an exception
 * removes everything it wrote; one that is killed leaves its shards and journal, and a rerun with
 * {@link Options#resume} verifies them and continues after the inputs they hold.
 */
public final class Ingest {

    /** How many inputs a worker thread may have in flight (read but not yet written). */
    private static final int WINDOW_PER_THREAD = 16;
    /** How many skipped inputs are named in the result. */
    private static final int EXAMPLES = 5;

    /**
     * @param name dataset name for the manifest (null: keep the existing one, else required by caller)
     * @param shardBytes target shard size
     * @param staging local directory for shards before they are published
     * @param replace replace splits the dataset already has
     * @param strict fail on the first unreadable input instead of skipping it
     * @param resume continue an interrupted ingest of the same inputs and options
     * @param threads worker threads reading inputs
     * @param progress progress receiver
     * @param notes receives one-line notices (resume, cleanup)
     * @param hashedPrefixes spread shard keys over this many hashed prefixes (1: flat keys)
     */
    public record Options(String name, long shardBytes, Path staging, boolean replace, boolean strict,
                          boolean resume, int threads, IngestProgress progress, Consumer<String> notes,
                          int hashedPrefixes) {

        /** Defaults: 64 MB shards, all cores, no progress, notices dropped. */
        public static Options defaults(String name, Path staging) {
            return new Options(name, 64L << 20, staging, false, false, false,
                    Runtime.getRuntime().availableProcessors(), IngestProgress.NONE, s -> {}, 1);
        }

        public Options withShardBytes(long bytes) {
            return new Options(name, bytes, staging, replace, strict, resume, threads, progress, notes, hashedPrefixes);
        }

        public Options withReplace(boolean v) {
            return new Options(name, shardBytes, staging, v, strict, resume, threads, progress, notes, hashedPrefixes);
        }

        public Options withStrict(boolean v) {
            return new Options(name, shardBytes, staging, replace, v, resume, threads, progress, notes, hashedPrefixes);
        }

        public Options withResume(boolean v) {
            return new Options(name, shardBytes, staging, replace, strict, v, threads, progress, notes, hashedPrefixes);
        }

        public Options withThreads(int n) {
            return new Options(name, shardBytes, staging, replace, strict, resume, n, progress, notes, hashedPrefixes);
        }

        public Options withProgress(IngestProgress p) {
            return new Options(name, shardBytes, staging, replace, strict, resume, threads, p, notes, hashedPrefixes);
        }

        public Options withNotes(Consumer<String> n) {
            return new Options(name, shardBytes, staging, replace, strict, resume, threads, progress, n, hashedPrefixes);
        }

        /** Spreads shard keys over {@code n} hashed prefixes (1 to 4096; 1 keeps flat keys). */
        public Options withHashedPrefixes(int n) {
            if (n < 1 || n > 4096) {
                throw new IllegalArgumentException("hashed prefixes must be 1 to 4096, got " + n);
            }
            return new Options(name, shardBytes, staging, replace, strict, resume, threads, progress, notes, n);
        }
    }

    /**
     * What an ingest did.
     *
     * @param manifest the committed manifest
     * @param skipped inputs skipped as unreadable (all splits)
     * @param skippedExamples the first few skipped inputs with the reason
     * @param resumedShards shards taken over from an interrupted ingest
     */
    public record Result(Manifest manifest, long skipped, List<String> skippedExamples, int resumedShards) {}

    private final Importer importer;
    private final ObjectStore store;
    private final Options options;
    /** Writes journal updates off the writing thread (a put is an fsync or an upload); one in flight. */
    private ExecutorService journalWriter;
    private Future<?> journalWrite;

    public Ingest(Importer importer, ObjectStore store, Options options) {
        this.importer = importer;
        this.store = store;
        this.options = options;
    }

    /** Imports every split of the source and commits the manifest. */
    public Result run() throws IOException {
        Schema schema = importer.schema();
        List<String> splits = importer.splits();
        Manifest base = null;
        if (store.exists(Manifest.KEY)) {
            base = Dataset.open(store).manifest();
            for (String split : splits) {
                if (base.splits().containsKey(split) && !options.replace()) {
                    throw new IngestUsageException(store.location() + " already has split '" + split
                            + "'; pass --replace to replace it, or choose another --split");
                }
            }
        }
        String name = options.name() != null ? options.name() : base != null ? base.name() : "dataset";
        String fingerprint = importer.fingerprint() + "|shard-bytes=" + options.shardBytes() + "|schema=" + schema
                + "|strict=" + options.strict() + "|hashed-prefixes=" + options.hashedPrefixes();
        IngestJournal journal = resumeOrClean(IngestJournal.read(store), fingerprint, base);
        boolean resuming = journal != null;
        if (journal == null) {
            journal = new IngestJournal(DatasetWriter.newRunId(), fingerprint);
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (String split : splits) {
            metadata.putAll(importer.metadata(split));
        }
        boolean committed = false;
        int resumed = 0;
        try (DatasetWriter w = new DatasetWriter(store, name, schema, options.shardBytes(), options.staging(),
                metadata, base, journal.run).withHashedPrefixes(options.hashedPrefixes())) {
            try {
                if (resuming) {
                    resumed = adopt(w, journal, splits);
                }
                journal.write(store);
                long skipped = 0;
                for (String split : splits) {
                    // counts include the inputs an interrupted run skipped
                    skipped += writeSplit(w, journal, split);
                }
                awaitJournal();
                w.refineSchema(refine(schema, journal));
                Manifest m = w.commit();
                committed = true;
                store.delete(IngestJournal.KEY);
                return new Result(m, skipped, List.copyOf(journal.skippedExamples), resumed);
            } finally {
                if (journalWriter != null) {
                    journalWriter.shutdown();
                    try {
                        awaitJournal();
                    } catch (IOException e) {
                        if (committed) {
                            throw e;
                        }
                    }
                }
                if (!committed) {
                    // the writer's close removes the shards; the journal names only those
                    store.delete(IngestJournal.KEY);
                }
            }
        }
    }

    private IngestJournal resumeOrClean(IngestJournal found, String fingerprint, Manifest base) throws IOException {
        if (found == null) {
            if (options.resume()) {
                options.notes().accept("--resume: no interrupted ingest at " + store.location() + "; starting from the beginning");
            }
            return null;
        }
        // refused before anything is touched: a usage error writes and removes nothing
        if (options.resume() && !fingerprint.equals(found.fingerprint)) {
            throw new IngestUsageException(store.location() + ": the interrupted ingest recorded in " + IngestJournal.KEY
                    + " had other inputs or options (" + found.fingerprint + "); rerun it with those, or"
                    + " without --resume to start over");
        }
        // a killed ingest may have been killed inside a put or publish: its temporaries are no shards
        store.removeTemporaries();
        int shards = found.splits.values().stream().mapToInt(List::size).sum();
        if (options.resume()) {
            options.notes().accept("Resuming the interrupted ingest " + found.run + ": " + shards + " shard(s) already written");
            return found;
        }
        options.notes().accept("Removing " + shards + " shard(s) of an interrupted ingest (" + found.run
                + "); pass --resume to continue it instead");
        for (List<IngestJournal.Entry> entries : found.splits.values()) {
            for (IngestJournal.Entry e : entries) {
                store.delete(e.key);
            }
        }
        removeUnjournalledShards(found, base);
        store.delete(IngestJournal.KEY);
        return null;
    }

    /**
     * Deletes shards the interrupted run published but had not journalled yet (shards publish on
     * two threads and the journal follows in cut order, so a kill can leave one or two): keys under
     * its splits holding its run id, unless the committed manifest ({@code base}, may be null) names them.
     */
    private void removeUnjournalledShards(IngestJournal found, Manifest base) throws IOException {
        java.util.Set<String> referenced = new java.util.HashSet<>();
        if (base != null) {
            for (var split : base.splits().values()) {
                split.shards().forEach(sh -> referenced.add(sh.key()));
            }
        }
        java.util.Set<String> splits = new java.util.TreeSet<>(found.splits.keySet());
        splits.addAll(importer.splits());
        String marker = "-" + found.run + "-";
        for (String split : splits) {
            List<String> orphans = new ArrayList<>();
            for (Iterator<ObjectInfo> it = store.iterate(split + "/"); it.hasNext(); ) {
                String key = it.next().key();
                if (key.endsWith(".shard") && key.contains(marker) && !referenced.contains(key)) {
                    orphans.add(key);
                }
            }
            for (String key : orphans) {
                store.delete(key);
            }
        }
    }

    /** Verifies the journalled shards (size and CRC32C) and hands them to the writer. */
    private int adopt(DatasetWriter w, IngestJournal journal, List<String> splits) throws IOException {
        int n = 0;
        ByteBuffer buf = ByteBuffer.allocate(4 << 20);
        for (String split : splits) {
            List<ShardInfo> shards = new ArrayList<>();
            for (IngestJournal.Entry e : journal.entries(split)) {
                ShardInfo info = e.info();
                verify(info, buf);
                shards.add(info);
            }
            if (!shards.isEmpty()) {
                w.adopt(split, shards);
                n += shards.size();
            }
        }
        return n;
    }

    private void verify(ShardInfo info, ByteBuffer buf) throws IOException {
        String where = Dataset.where(store, info.key());
        if (!store.exists(info.key())) {
            throw new MissingShardException(where + ": shard recorded in the ingest journal is missing; rerun without"
                    + " --resume to start over");
        }
        long size = store.size(info.key());
        if (size != info.bytes()) {
            throw new ChecksumMismatchException(where + ": " + size + " bytes but the ingest journal recorded "
                    + info.bytes() + "; rerun without --resume to start over");
        }
        CRC32C crc = new CRC32C();
        for (long at = 0; at < size; ) {
            buf.clear().limit((int) Math.min(buf.capacity(), size - at));
            store.read(info.key(), at, buf);
            buf.flip();
            at += buf.remaining();
            crc.update(buf);
        }
        if (crc.getValue() != info.crc32c()) {
            throw new ChecksumMismatchException(where + ": CRC32C " + String.format("%08x", crc.getValue())
                    + " but the ingest journal recorded " + info.crc32cHex() + "; rerun without --resume to start over");
        }
    }

    /** Writes one split; returns the inputs skipped in this run. */
    private long writeSplit(DatasetWriter w, IngestJournal journal, String split) throws IOException {
        List<IngestJournal.Entry> done = journal.entries(split);
        long skip = done.isEmpty() ? 0 : done.get(done.size() - 1).inputs;
        long skippedBefore = done.isEmpty() ? 0 : done.get(done.size() - 1).skipped;
        long total = importer.count(split);
        IngestProgress progress = options.progress();
        progress.start(split, total);
        Schema schema = importer.schema();
        int threads = Math.max(1, options.threads());
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "ingest-read");
            t.setDaemon(true);
            return t;
        });
        ArrayDeque<Future<Sample>> window = new ArrayDeque<>();
        ArrayDeque<String> names = new ArrayDeque<>();
        long consumed = 0;
        long skipped = skippedBefore;
        long bytes = 0;
        int cap = threads * WINDOW_PER_THREAD;
        State st = new State(w, journal, split, schema);
        try {
            Iterator<Input> it = importer.inputs(split);
            while (hasNext(it)) {
                Input in = next(it);
                if (consumed < skip) {
                    consumed++;
                    if (consumed % 4096 == 0 || consumed == skip) {
                        progress.update(consumed, 0);
                    }
                    continue;
                }
                window.add(pool.submit(in::read));
                names.add(in.where());
                if (window.size() >= cap) {
                    consumed++;
                    long[] r = take(window, names.poll(), st, consumed, skipped);
                    skipped = r[0];
                    bytes += r[1];
                    progress.update(consumed, bytes);
                }
            }
            while (!window.isEmpty()) {
                consumed++;
                long[] r = take(window, names.poll(), st, consumed, skipped);
                skipped = r[0];
                bytes += r[1];
                progress.update(consumed, bytes);
            }
            st.consumed = consumed;
            st.skipped = skipped;
            w.finishSplit(split);
            st.afterWrite();
            if (w.shardCount(split) == 0) {
                throw new InputException(importer.fingerprint() + ": split '" + split + "' has no readable samples"
                        + (skipped > 0 ? " (" + skipped + " input(s) skipped as unreadable, e.g. "
                        + journal.skippedExamples + ")" : "") + "; check the source");
            }
            progress.finish(split);
            return skipped;
        } finally {
            for (Future<Sample> f : window) {
                f.cancel(true);
            }
            pool.shutdownNow();
        }
    }

    /** Mutable bookkeeping of one split's writing. */
    private final class State {
        final DatasetWriter w;
        final IngestJournal journal;
        final String split;
        final Schema schema;
        /** Per shard cut so far (adopted ones included): inputs consumed and skipped when it was cut. */
        final List<long[]> marks = new ArrayList<>();
        long consumed;
        long skipped;

        State(DatasetWriter w, IngestJournal journal, String split, Schema schema) {
            this.w = w;
            this.journal = journal;
            this.split = split;
            this.schema = schema;
            for (IngestJournal.Entry e : journal.entries(split)) {
                marks.add(new long[] {e.inputs, e.skipped});
            }
        }

        /** Notes a shard the last add or finish cut, and journals shards published since the last call. */
        void afterWrite() throws IOException {
            if (w.cutCount(split) > marks.size()) {
                marks.add(new long[] {consumed, skipped});
            }
            int have = journal.entries(split).size();
            int now = w.shardCount(split);
            if (now > have) {
                List<ShardInfo> shards = w.shards(split);
                for (int i = have; i < now; i++) {
                    journal.add(split, shards.get(i), marks.get(i)[0], marks.get(i)[1]);
                }
                writeJournal(journal);
            }
        }
    }

    /** Stores the journal as it is now, after the previous update is stored. */
    private void writeJournal(IngestJournal journal) throws IOException {
        awaitJournal();
        byte[] bytes = journal.bytes();
        if (journalWriter == null) {
            journalWriter = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "ingest-journal");
                t.setDaemon(true);
                return t;
            });
        }
        journalWrite = journalWriter.submit(() -> {
            store.put(IngestJournal.KEY, bytes);
            return null;
        });
    }

    private void awaitJournal() throws IOException {
        if (journalWrite == null) {
            return;
        }
        try {
            journalWrite.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while writing " + IngestJournal.KEY);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException("writing " + IngestJournal.KEY + " failed: " + e.getCause(), e.getCause());
        } finally {
            journalWrite = null;
        }
    }

    private long[] take(ArrayDeque<Future<Sample>> window, String where, State st, long consumed, long skipped)
            throws IOException {
        Sample s;
        try {
            s = window.poll().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("ingest interrupted at " + where);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof UnreadableInputException u && !options.strict()) {
                if (st.journal.skippedExamples.size() < EXAMPLES) {
                    st.journal.skippedExamples.add(u.getMessage());
                }
                st.consumed = consumed;
                st.skipped = skipped + 1;
                return new long[] {skipped + 1, 0};
            }
            if (c instanceof UnreadableInputException u) {
                throw new InputException(u.getMessage() + " (--strict: unreadable inputs are fatal; drop --strict to"
                        + " skip and count them)", u);
            }
            if (c instanceof IOException io) {
                throw io;
            }
            if (c instanceof UncheckedIOException uio) {
                throw uio.getCause();
            }
            throw new InputException(where + ": " + c, c);
        }
        for (int f = 0; f < s.encodings().length; f++) {
            String enc = s.encodings()[f];
            if (enc != null) {
                st.journal.encodings.computeIfAbsent(st.schema.field(f).name(), k -> new TreeSet<>()).add(enc);
            }
        }
        st.consumed = consumed;
        st.skipped = skipped;
        st.w.add(st.split, s.values());
        st.afterWrite();
        return new long[] {skipped, s.sourceBytes()};
    }

    private static boolean hasNext(Iterator<Input> it) throws IOException {
        try {
            return it.hasNext();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static Input next(Iterator<Input> it) throws IOException {
        try {
            return it.next();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /**
     * The schema with each bytes field's encoding set from the data: the one encoding seen, or none
     * when the values mix encodings (readers then recognise each value by its signature).
     */
    static Schema refine(Schema schema, IngestJournal journal) {
        List<FieldSpec> out = new ArrayList<>();
        for (FieldSpec f : schema.fields()) {
            TreeSet<String> seen = journal.encodings.get(f.name());
            if (f.dtype() == DType.BYTES && seen != null) {
                String enc = seen.size() == 1 ? seen.first() : null;
                out.add(new FieldSpec(f.name(), f.dtype(), f.shape(), f.compression(), f.classes(), enc));
            } else {
                out.add(f);
            }
        }
        return new Schema(out);
    }
}
