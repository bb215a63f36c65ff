package dev.sluice.spark;

import dev.sluice.data.format.ShardInfo;
import dev.sluice.data.format.ShardWriter;
import dev.sluice.data.store.ObjectStore;
import dev.sluice.data.store.Stores;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.sql.Row;

/**
 * The task of one partition: encodes its rows, cuts shards per split at the target size, publishes each
 * straight to the store under a key of (job, partition, sequence), and returns the shards' descriptors
 * (with the encodings it saw in columns whose encoding is detected).
 * Whatever attempt number it runs as, it writes the same keys, so a retry replaces its predecessor's
 * shards. A failing attempt deliberately leaves its published shards alone: a concurrent speculative
 * attempt of the same partition may have published (and be about to report) the same keys; the driver
 * removes what no manifest names.
 */
final class PartitionTask implements Function2<Integer, Iterator<Row>, Iterator<TaskResult>> {

    private static final long serialVersionUID = 1L;

    private final String location;
    private final String jobId;
    private final RowPlan plan;
    private final SluiceWriteOptions options;
    private final String stagingRoot;

    PartitionTask(String location, String jobId, RowPlan plan, SluiceWriteOptions options, String stagingRoot) {
        this.location = location;
        this.jobId = jobId;
        this.plan = plan;
        this.options = options;
        this.stagingRoot = stagingRoot;
    }

    @Override
    public Iterator<TaskResult> call(Integer partition, Iterator<Row> rows) throws IOException {
        TaskContext ctx = TaskContext.get();
        int attempt = ctx == null ? 0 : ctx.attemptNumber();
        // null: this executor's temporary directory, which may differ from the driver's
        Path root = Files.createDirectories(Path.of(stagingRoot != null ? stagingRoot
                : System.getProperty("java.io.tmpdir")));
        Path staging = Files.createTempDirectory(root, String.format(".%s-p%05d-a%d-", jobId, partition, attempt));
        try (ObjectStore store = Stores.open(location, options.storeOptions())) {
            return List.of(new Run(store, staging, partition, attempt).write(rows, ctx)).iterator();
        } finally {
            deleteTree(staging);
        }
    }

    /** One attempt's state: an open shard per split and what has been published. */
    private final class Run {
        private final ObjectStore store;
        private final Path staging;
        private final int partition;
        private final int attempt;
        private final RowEncoder encoder = new RowEncoder(plan);
        private final Map<String, ShardWriter> open = new LinkedHashMap<>();
        private final Map<String, Integer> sequence = new LinkedHashMap<>();
        private final List<ShardDescriptor> published = new ArrayList<>();

        Run(ObjectStore store, Path staging, int partition, int attempt) {
            this.store = store;
            this.staging = staging;
            this.partition = partition;
            this.attempt = attempt;
        }

        TaskResult write(Iterator<Row> rows, TaskContext ctx) throws IOException {
            long rowIndex = 0;
            while (rows.hasNext()) {
                if (ctx != null) {
                    // a cancelled or superseded attempt stops at the next row instead of publishing on
                    ctx.killTaskIfInterrupted();
                }
                Row row = rows.next();
                String split = encoder.split(row, partition, rowIndex);
                ByteBuffer[] values = encoder.encode(row, partition, rowIndex);
                ShardWriter w = open.computeIfAbsent(split, s -> new ShardWriter(plan.schema()));
                w.add(values);
                if (w.bytes() >= options.shardBytes()) {
                    flush(split, w);
                }
                rowIndex++;
            }
            for (Map.Entry<String, ShardWriter> e : open.entrySet()) {
                flush(e.getKey(), e.getValue());
            }
            Map<String, Set<String>> seen = new LinkedHashMap<>();
            encoder.encodings().forEach((f, e) -> seen.put(f, new TreeSet<>(e)));
            return new TaskResult(published, seen);
        }

        private void flush(String split, ShardWriter w) throws IOException {
            if (w.samples() == 0) {
                return;
            }
            int seq = sequence.merge(split, 1, Integer::sum) - 1;
            String key = ShardKeys.key(split, jobId, partition, seq);
            Path file = staging.resolve(split + "-" + seq + ".shard");
            ShardInfo info = w.writeTo(file, key);
            store.publish(key, file);
            published.add(ShardDescriptor.of(split, partition, seq, info));
            w.reset();
            options.hook().afterShard(partition, attempt, published.size());
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
