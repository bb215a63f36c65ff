package dev.sluice.spark;

import dev.sluice.data.format.Manifest;
import dev.sluice.data.format.Split;
import dev.sluice.data.store.StoreOptions;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.FilterFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.util.LongAccumulator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The billions-of-small-files job: an image folder or bucket laid out one directory per class
 * ({@code ROOT/<class>/<files>}, or {@code ROOT/train|val|test/<class>/...} as splits), read with Spark's
 * {@code binaryFile} source and written with {@link SluiceWriter}. The same two fields as
 * {@code ingest --from imagefolder:}: {@code image} (the file's bytes as stored, encoding recognised from
 * its signature) and {@code label} (int64 index into the sorted class names of all splits). Files without
 * an image signature are skipped and counted. Run it with {@code spark-submit --class
 * dev.sluice.spark.ImageFolderJob sluice-spark-VERSION-all.jar ROOT TARGET}.
 */
@Command(name = "ImageFolderJob", mixinStandardHelpOptions = true,
        description = "Writes an image folder (one directory per class) as a Sluice dataset with Spark.")
public final class ImageFolderJob implements Callable<Integer> {

    /** Subdirectories of the root that become splits, as the single-process importer has them. */
    static final List<String> SPLIT_DIRS = List.of("train", "val", "test");

    @Parameters(index = "0", description = "image folder: a directory, file:///dir, s3a://bucket/prefix (Hadoop paths)")
    String input;

    @Parameters(index = "1", description = "dataset location: a directory, file:///dir or s3://bucket/prefix")
    String output;

    @Option(names = "--split", description = "split name when ROOT holds class directories directly (default: ${DEFAULT-VALUE})")
    String split = "train";

    @Option(names = "--partitions", description = "repartition the file list into N tasks (default: Spark's split of the listing)")
    int partitions;

    @Option(names = "--shard-mb", description = "target shard size in MiB (default: ${DEFAULT-VALUE})")
    long shardMb = SluiceWriteOptions.DEFAULT_SHARD_BYTES >> 20;

    @Option(names = "--endpoint", description = "S3-compatible endpoint of the dataset location (path-style)")
    String endpoint;

    @Option(names = "--region", description = "AWS region of the dataset location")
    String region;

    @Option(names = "--overwrite", description = "replace a dataset already at the location")
    boolean overwrite;

    @Override
    public Integer call() throws IOException {
        SparkSession spark = SparkSession.builder().appName("sluice-imagefolder").getOrCreate();
        try {
            tuneForSmallFiles(spark);
            StoreOptions store = StoreOptions.defaults().withS3Endpoint(endpoint).withRegion(region);
            SluiceWriteOptions options = SluiceWriteOptions.defaults()
                    .withShardBytes(shardMb << 20).withStore(store).withOverwrite(overwrite);
            Result r = write(spark, input, output, split, partitions, options);
            for (Map.Entry<String, Split> e : r.manifest().splits().entrySet()) {
                System.out.printf("%s: %d samples in %d shards (%d bytes)%n", e.getKey(), e.getValue().samples(),
                        e.getValue().shards().size(), e.getValue().bytes());
            }
            System.out.printf("classes: %d; skipped (no image signature): %d; wrote %s%n",
                    r.manifest().schema().field(1).classes().size(), r.skipped(), output);
            return 0;
        } finally {
            spark.stop();
        }
    }

    /**
     * Sizes read tasks by bytes of images rather than by file count, unless the submitter set these: Spark
     * charges every file 4 MB to open by default, which for 100 KB images makes tasks of ~40 files and as
     * many tiny shards. With a 64 KB open cost and up to 512 MB per task a task writes several full shards,
     * and small inputs still get at least one task per core.
     */
    public static void tuneForSmallFiles(SparkSession spark) {
        if (!spark.conf().contains("spark.sql.files.openCostInBytes")) {
            spark.conf().set("spark.sql.files.openCostInBytes", Long.toString(64L << 10));
        }
        if (!spark.conf().contains("spark.sql.files.maxPartitionBytes")) {
            spark.conf().set("spark.sql.files.maxPartitionBytes", Long.toString(512L << 20));
        }
    }

    /**
     * What a run wrote.
     *
     * @param manifest the committed manifest
     * @param skipped files skipped for having no image signature (a retried task's files count again)
     */
    public record Result(Manifest manifest, long skipped) {}

    /**
     * Lists {@code input}, derives split and class from each file's path, and writes the dataset.
     *
     * @param defaultSplit the split when the root holds class directories directly
     * @param partitions tasks to repartition the files into, or 0 to keep Spark's split of the listing
     */
    public static Result write(SparkSession spark, String input, String output, String defaultSplit, int partitions,
                               SluiceWriteOptions options) throws IOException {
        Path root = new Path(input);
        FileSystem fs = root.getFileSystem(spark.sparkContext().hadoopConfiguration());
        String rootUri = fs.makeQualified(root).toString().replaceAll("/+$", "");
        List<String> splitDirs = new ArrayList<>();
        for (String s : SPLIT_DIRS) {
            Path p = new Path(root, s);
            if (fs.exists(p) && fs.getFileStatus(p).isDirectory()) {
                splitDirs.add(s);
            }
        }
        // class names: the directories of the root (or of each split directory), sorted, as the single-process
        // importer has them; one directory listing each, no pass over the files
        TreeSet<String> names = new TreeSet<>();
        for (Path dir : splitDirs.isEmpty() ? List.of(root) : splitDirs.stream().map(s -> new Path(root, s)).toList()) {
            for (FileStatus st : fs.listStatus(dir)) {
                if (st.isDirectory()) {
                    names.add(st.getPath().getName());
                }
            }
        }
        List<String> classes = List.copyOf(names);
        if (classes.isEmpty()) {
            throw new IllegalArgumentException(input + ": no class directories; expected ROOT/<class>/<image files>"
                    + " or ROOT/train|val|test/<class>/...");
        }
        Dataset<Row> files = spark.read().format("binaryFile").option("recursiveFileLookup", "true").load(input);
        // path relative to the root, in segments; a file directly under the root (or a split dir) has no class
        Column parts = functions.split(functions.substring(files.col("path"), rootUri.length() + 2, Integer.MAX_VALUE),
                "/");
        Dataset<Row> labelled;
        if (splitDirs.isEmpty()) {
            labelled = files.where(functions.size(parts).geq(2))
                    .select(files.col("content").as("image"), functions.element_at(parts, 1).as("class"),
                            functions.lit(defaultSplit).as("split"));
        } else {
            labelled = files.where(functions.size(parts).geq(3)
                            .and(functions.element_at(parts, 1).isin(splitDirs.toArray())))
                    .select(files.col("content").as("image"), functions.element_at(parts, 2).as("class"),
                            functions.element_at(parts, 1).as("split"));
        }
        LongAccumulator skipped = spark.sparkContext().longAccumulator("sluice.imagefolder.skipped");
        ImageSignature signature = new ImageSignature();
        Dataset<Row> images = labelled.filter((FilterFunction<Row>) r -> {
            boolean image = signature.encodingOf(r.getAs("image")) != null;
            if (!image) {
                skipped.add(1);
            }
            return image;
        });
        Column label = functions.array_position(
                functions.array(classes.stream().map(functions::lit).toArray(Column[]::new)), images.col("class"))
                .minus(1).as("label");
        Dataset<Row> rows = images.select(images.col("image"), label, images.col("split"));
        if (partitions > 0) {
            rows = rows.repartition(partitions);
        }
        Manifest m = SluiceWriter.write(rows, output, options.withSplitColumn("split")
                .withEncodingDetector("image", signature).withClasses("label", classes)
                .withMetadata("source", "imagefolder:" + rootUri));
        return new Result(m, skipped.value());
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new ImageFolderJob()).execute(args));
    }
}
