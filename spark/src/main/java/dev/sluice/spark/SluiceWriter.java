package dev.sluice.spark;

import dev.sluice.data.format.FieldSpec;
import dev.sluice.data.format.Manifest;
import dev.sluice.data.format.ManifestCodec;
import dev.sluice.data.format.Schema;
import dev.sluice.data.format.ShardInfo;
import dev.sluice.data.format.Split;
import dev.sluice.data.store.ObjectInfo;
import dev.sluice.data.store.ObjectStore;
import dev.sluice.data.store.Stores;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Writes a Spark DataFrame as a Sluice dataset, in the spirit of {@code df.write()}:
 *
 * <pre>{@code
 * Manifest m = SluiceWriter.write(df, "s3://bucket/ds", SluiceWriteOptions.defaults()
 *         .withEncoding("image", "jpeg").withClasses("label", classNames));
 * }</pre>
 *
 * <p>Columns map to fields as {@link ColumnMapping} says; an unsupported column fails before any task
 * starts. Each partition's task writes its own shards straight to the store (Sluice's {@link ObjectStore},
 * the CRT client for S3) under keys of (job, partition, sequence). The driver collects the descriptors of
 * the successful attempts, checks that the store holds each shard at its recorded size, and writes the
 * manifest last; then it deletes shards of this job that no manifest names (left by attempts whose
 * partition came out differently). A job that fails writes no manifest and deletes the shards it
 * published; any it could not delete are named in the {@link SparkWriteException}.
 *
 * <p><b>Order.</b> Samples of a split are in partition order, then row order within each partition: the
 * order {@code df.collect()} returns. It is as defined as the DataFrame's own order: a source whose
 * partitioning changes from run to run (file listings bin-packed by size, shuffles) gives a defined
 * multiset, not a defined order. Retries need a deterministic DataFrame (as all Spark output does):
 * a re-run partition must produce the same rows.
 */
public final class SluiceWriter {

    /** How long a failed job's driver waits for Spark to stop its remaining task attempts. */
    private static final Duration CANCEL_WAIT = Duration.ofSeconds(60);

    private SluiceWriter() {}

    /**
     * Writes {@code df} to {@code location} ({@code s3://bucket/prefix}, {@code file:///dir} or a path).
     *
     * @return the manifest written
     * @throws UnsupportedColumnException before any task, for a column that cannot be stored
     * @throws FileAlreadyExistsException before any task, if a dataset is there and overwrite is off
     * @throws SparkWriteException if the job failed; no manifest was written
     */
    public static Manifest write(Dataset<Row> df, String location, SluiceWriteOptions options) throws IOException {
        RowPlan plan = ColumnMapping.plan(df.schema(), options);
        Schema schema = plan.schema();
        String jobId = String.format("%012x", ThreadLocalRandom.current().nextLong() >>> 16);
        try (ObjectStore store = Stores.open(location, options.storeOptions())) {
            Manifest old = null;
            if (store.exists(Manifest.KEY)) {
                if (!options.overwrite()) {
                    throw new FileAlreadyExistsException(dev.sluice.data.format.Dataset.where(store, Manifest.KEY), null,
                            "a dataset is already there; write elsewhere or overwrite it (withOverwrite(true),"
                                    + " --overwrite)");
                }
                old = dev.sluice.data.format.Dataset.openManifest(store).manifest();
            }
            String staging = stagingRoot(location, options, jobId);
            List<TaskResult> results = run(df, location, jobId, plan, options, staging, store);
            List<ShardDescriptor> shards = results.stream().flatMap(r -> r.shards().stream()).toList();
            Manifest m = manifest(store, location, options, withDetected(schema, results), jobId, shards,
                    results.size());
            store.put(Manifest.KEY, ManifestCodec.encode(m));
            removeUnnamed(store, jobId, m, old);
            removeLocalStaging(location, options, jobId);
            return m;
        }
    }

    private static List<TaskResult> run(Dataset<Row> df, String location, String jobId, RowPlan plan,
                                             SluiceWriteOptions options, String staging, ObjectStore store)
            throws IOException {
        SparkContext sc = df.sparkSession().sparkContext();
        JobTasks tasks = new JobTasks(jobId);
        String previous = sc.getLocalProperty(JobTasks.PROPERTY);
        sc.addSparkListener(tasks);
        sc.setLocalProperty(JobTasks.PROPERTY, jobId);
        try {
            return df.toJavaRDD()
                    .mapPartitionsWithIndex(new PartitionTask(location, jobId, plan, options, staging), false)
                    .collect();
        } catch (Exception e) {
            // SparkException (checked, undeclared by Scala) or a runtime failure on the driver
            throw abort(store, location, options, jobId, tasks, e);
        } finally {
            sc.setLocalProperty(JobTasks.PROPERTY, previous);
            sc.removeSparkListener(tasks);
        }
    }

    /** After a failed job: wait for its attempts to stop, delete its shards, report what could not be deleted. */
    private static SparkWriteException abort(ObjectStore store, String location, SluiceWriteOptions options,
                                             String jobId, JobTasks tasks, Exception cause) {
        StringBuilder msg = new StringBuilder("Spark job ").append(jobId).append(" writing ").append(store.location())
                .append(" failed; no manifest was written");
        try {
            boolean idle = tasks.awaitIdle(CANCEL_WAIT);
            List<String> left = deleteJobShards(store, jobId, Set.of());
            removeLocalStaging(location, options, jobId);
            if (!left.isEmpty()) {
                msg.append("; ").append(left.size()).append(" shard(s) of this job could not be deleted (no manifest names"
                        + " them; delete them by hand): ").append(left);
            } else if (!idle) {
                msg.append("; some task attempts were still running after ").append(CANCEL_WAIT.toSeconds())
                        .append(" s, so shards they publish later (keys containing '-").append(jobId)
                        .append("-p') are orphans no manifest names");
            } else {
                msg.append(" and every shard the job had published was deleted");
            }
        } catch (IOException | RuntimeException e) {
            cause.addSuppressed(e);
            msg.append("; removing its shards (keys containing '-").append(jobId).append("-p') failed too: ")
                    .append(e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cause.addSuppressed(e);
        }
        return new SparkWriteException(msg.append(": ").append(cause.getMessage()).toString(), cause);
    }

    /**
     * The schema with detected encodings: the one encoding all of a field's values had, else none.
     */
    private static Schema withDetected(Schema schema, List<TaskResult> results) {
        Map<String, Set<String>> seen = new HashMap<>();
        for (TaskResult r : results) {
            r.encodings().forEach((f, e) -> seen.computeIfAbsent(f, k -> new HashSet<>()).addAll(e));
        }
        List<FieldSpec> fields = new ArrayList<>();
        for (FieldSpec f : schema.fields()) {
            Set<String> e = seen.get(f.name());
            if (e == null) {
                fields.add(f);
            } else {
                String only = e.size() == 1 ? e.iterator().next() : null;
                fields.add(new FieldSpec(f.name(), f.dtype(), f.shape(), f.compression(), f.classes(), only));
            }
        }
        return new Schema(fields);
    }

    /**
     * The manifest of a finished job: per split, the shards in (partition, sequence) order, each checked
     * against one listing of the store.
     */
    private static Manifest manifest(ObjectStore store, String location, SluiceWriteOptions options, Schema schema,
                                     String jobId, List<ShardDescriptor> shards, int partitions) throws IOException {
        Map<String, Long> listed = new HashMap<>();
        Pattern ours = ShardKeys.ofJob(jobId);
        for (ObjectInfo o : store.list("")) {
            if (ours.matcher(o.key()).matches()) {
                listed.put(o.key(), o.size());
            }
        }
        TreeMap<String, List<ShardDescriptor>> bySplit = new TreeMap<>();
        if (options.splitColumn() == null) {
            bySplit.put(options.split(), new ArrayList<>());
        }
        for (ShardDescriptor d : shards) {
            Long size = listed.get(d.key());
            if (size == null || size != d.bytes()) {
                throw new SparkWriteException("shard " + dev.sluice.data.format.Dataset.where(store, d.key()) + " reported by partition "
                        + d.partition() + " is " + (size == null ? "missing" : size + " bytes, not " + d.bytes())
                        + "; attempts of that partition wrote different data (the DataFrame must be deterministic:"
                        + " persist or checkpoint it first); no manifest was written", null);
            }
            bySplit.computeIfAbsent(d.split(), s -> new ArrayList<>()).add(d);
        }
        Map<String, Split> splits = new LinkedHashMap<>();
        for (Map.Entry<String, List<ShardDescriptor>> e : bySplit.entrySet()) {
            List<ShardInfo> infos = e.getValue().stream()
                    .sorted(Comparator.comparingInt(ShardDescriptor::partition)
                            .thenComparingInt(ShardDescriptor::sequence))
                    .map(ShardDescriptor::info).toList();
            splits.put(e.getKey(), new Split(e.getKey(), infos));
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("writer", "sluice-spark");
        metadata.put("spark.job", jobId);
        metadata.put("spark.partitions", Integer.toString(partitions));
        metadata.putAll(options.metadata());
        String name = options.name() != null ? options.name() : lastSegment(location);
        return new Manifest(Manifest.MAJOR, Manifest.minorFor(schema), name, Instant.now().toString(), schema, splits,
                metadata);
    }

    /** After the manifest is written: this job's shards it does not name, then the replaced dataset's. */
    private static void removeUnnamed(ObjectStore store, String jobId, Manifest m, Manifest old) throws IOException {
        Set<String> live = new HashSet<>();
        m.splits().values().forEach(s -> s.shards().forEach(sh -> live.add(sh.key())));
        List<String> left = deleteJobShards(store, jobId, live);
        if (old != null) {
            for (Split s : old.splits().values()) {
                for (ShardInfo sh : s.shards()) {
                    if (!live.contains(sh.key())) {
                        store.delete(sh.key());
                    }
                }
            }
        }
        if (!left.isEmpty()) {
            throw new SparkWriteException("the dataset at " + store.location() + " was committed, but " + left.size()
                    + " unused shard(s) of job " + jobId + " could not be deleted (no manifest names them): " + left,
                    null);
        }
    }

    /**
     * Deletes every shard of the job not in {@code keep}.
     *
     * @return keys still there afterwards (a second listing)
     */
    private static List<String> deleteJobShards(ObjectStore store, String jobId, Set<String> keep) throws IOException {
        Pattern ours = ShardKeys.ofJob(jobId);
        for (ObjectInfo o : store.list("")) {
            if (ours.matcher(o.key()).matches() && !keep.contains(o.key())) {
                store.delete(o.key());
            }
        }
        List<String> left = new ArrayList<>();
        for (ObjectInfo o : store.list("")) {
            if (ours.matcher(o.key()).matches() && !keep.contains(o.key())) {
                left.add(o.key());
            }
        }
        return left;
    }

    /**
     * Where tasks stage shards: the option, else a hidden directory under a file dataset's root (so that
     * publishing is a rename; hidden names are never objects), else null: each task stages in its own
     * JVM's temporary directory.
     */
    private static String stagingRoot(String location, SluiceWriteOptions options, String jobId) {
        if (options.stagingDir() != null) {
            return options.stagingDir();
        }
        Path root = localRoot(location);
        if (root != null) {
            return root.resolve(".sluice-staging").resolve(jobId).toString();
        }
        return null;
    }

    /** Removes the job's default staging directory under a file dataset's root (tasks empty it themselves). */
    private static void removeLocalStaging(String location, SluiceWriteOptions options, String jobId)
            throws IOException {
        Path root = localRoot(location);
        if (options.stagingDir() != null || root == null) {
            return;
        }
        Path dir = root.resolve(".sluice-staging");
        Files.deleteIfExists(dir.resolve(jobId));
        try (var left = Files.list(dir)) {
            if (left.findAny().isEmpty()) {
                Files.deleteIfExists(dir);
            }
        } catch (java.nio.file.NoSuchFileException e) {
            // nothing was staged
        }
    }

    /** The directory of a file location, or null for S3. */
    private static Path localRoot(String location) {
        if (Stores.isS3(location)) {
            return null;
        }
        return location.startsWith("file:") ? Path.of(URI.create(location)) : Path.of(location);
    }

    private static String lastSegment(String location) {
        String s = location.replaceAll("/+$", "");
        String last = s.substring(s.lastIndexOf('/') + 1);
        return last.isEmpty() ? "dataset" : last;
    }
}
