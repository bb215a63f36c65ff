package dev.sluice.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.adobe.testing.s3mock.junit5.S3MockExtension;
import dev.sluice.data.format.Compression;
import dev.sluice.data.format.DType;
import dev.sluice.data.format.Dataset;
import dev.sluice.data.format.FieldSpec;
import dev.sluice.data.format.Manifest;
import dev.sluice.data.format.Schema;
import dev.sluice.data.format.ShardInfo;
import dev.sluice.data.store.ObjectInfo;
import dev.sluice.data.store.ObjectStore;
import dev.sluice.data.store.S3TestSupport;
import dev.sluice.data.store.Stores;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * SluiceWriter on Spark local[2] (each task may be tried 4 times) against S3Mock: rows read back with the
 * normal reader equal the input row for row; a task attempt failing after publishing a shard is retried
 * without duplicates or losses; a job failing for good leaves nothing; bad columns fail before any task.
 */
class SluiceWriterTest {

    @RegisterExtension
    static final S3MockExtension S3 = S3TestSupport.s3Mock();

    private static final List<String> CLASSES = List.of("c0", "c1", "c2", "c3", "c4", "c5", "c6");
    private static final StructType ROWS = new StructType()
            .add("image", DataTypes.BinaryType, false)
            .add("caption", DataTypes.StringType, false)
            .add("label", DataTypes.LongType, false)
            .add("tokens", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
            .add("embedding", DataTypes.createArrayType(DataTypes.FloatType, false), false);

    /** Failed attempts the hooks below caused (tasks run in this JVM in local mode). */
    static final AtomicInteger INJECTED = new AtomicInteger();

    static SparkSession spark;

    @BeforeAll
    static void startSpark() {
        spark = SparkTestSession.start("local[2,4]");
    }

    @AfterAll
    static void stopSpark() {
        spark.stop();
    }

    @Test
    void dataFrameRoundTripsRowForRowThroughS3() throws IOException {
        List<Row> input = rows(3000);
        String location = location("roundtrip");
        Manifest m = SluiceWriter.write(frame(input, 6), location, options()
                .withShardBytes(256 << 10)
                .withEncoding("image", "jpeg")
                .withClasses("label", CLASSES)
                .withShape("embedding", 2, 3)
                .withCompression("caption", Compression.ZSTD));

        Schema expected = Schema.of(FieldSpec.bytes("image", "jpeg"),
                FieldSpec.string("caption").withCompression(Compression.ZSTD),
                FieldSpec.of("label", DType.INT64).withClasses(CLASSES),
                FieldSpec.sequence("tokens", DType.INT32),
                FieldSpec.of("embedding", DType.FLOAT32, 2, 3));
        assertEquals(expected, m.schema());
        assertEquals(Set.of("train"), m.splits().keySet());
        assertTrue(m.split("train").shards().size() > 6, "several shards per partition: " + m.split("train").shards());

        try (ObjectStore store = store(location)) {
            Dataset ds = Dataset.open(store);
            assertEquals(expected, ds.schema());
            List<byte[][]> back = ReadBack.samples(ds, "train");
            assertEquals(input.size(), back.size());
            for (int i = 0; i < input.size(); i++) {
                assertSample(input.get(i), back.get(i), "sample " + i);
            }
            // random access agrees with the whole-shard read
            assertArrayEquals((byte[]) input.get(2999).get(0), bytes(ds.readValue("train", 2999, 0)));
        }
    }

    @Test
    void retriedAttemptReplacesItsShardsWithoutDuplicatesOrLosses() throws IOException {
        List<Row> input = rows(1200);
        String location = location("retry");
        INJECTED.set(0);
        // attempt 0 of partition 1 dies after publishing its first shard; Spark retries it
        AttemptHook failFirstAttempt = (partition, attempt, published) -> {
            if (partition == 1 && attempt == 0 && published == 1) {
                INJECTED.incrementAndGet();
                throw new IOException("injected failure of partition 1, attempt 0, after its first shard");
            }
        };
        Manifest m = SluiceWriter.write(frame(input, 4), location, options()
                .withShardBytes(64 << 10).withShape("embedding", 6).withAfterShardHook(failFirstAttempt));
        assertEquals(1, INJECTED.get(), "the hook failed exactly one attempt");

        try (ObjectStore store = store(location)) {
            List<byte[][]> back = ReadBack.samples(Dataset.open(store), "train");
            assertEquals(input.size(), back.size(), "no sample duplicated or missing");
            for (int i = 0; i < input.size(); i++) {
                assertSample(input.get(i), back.get(i), "sample " + i);
            }
            assertEquals(storedKeys(m), keys(store), "the store holds the manifest's shards and nothing else");
        }
    }

    @Test
    void jobFailingForGoodLeavesNoManifestAndNoShards() throws IOException {
        String location = location("failed");
        AttemptHook alwaysFail = (partition, attempt, published) -> {
            if (partition == 1 && published == 1) {
                throw new IOException("injected failure of partition 1 on every attempt");
            }
        };
        SparkWriteException e = assertThrows(SparkWriteException.class, () -> SluiceWriter.write(frame(rows(1200), 4),
                location, options().withShardBytes(64 << 10).withShape("embedding", 6).withAfterShardHook(alwaysFail)));
        assertTrue(e.getMessage().contains("no manifest was written"), e.getMessage());
        assertTrue(e.getMessage().contains("every shard the job had published was deleted"), e.getMessage());
        assertTrue(e.getMessage().contains("injected failure of partition 1"), e.getMessage());
        try (ObjectStore store = store(location)) {
            assertFalse(store.exists(Manifest.KEY));
            assertEquals(List.of(), store.list(""), "no orphan shard");
        }
    }

    @Test
    void unsupportedColumnsFailBeforeAnyTaskNamingTheColumn() throws IOException {
        String location = location("unsupported");
        org.apache.spark.sql.Dataset<Row> base = frame(rows(10), 2);
        org.apache.spark.sql.Dataset<Row> withMap = base.withColumn("attrs",
                functions.map(functions.lit("k"), functions.lit(1)));
        UnsupportedColumnException map = assertThrows(UnsupportedColumnException.class,
                () -> SluiceWriter.write(withMap, location, options()));
        assertTrue(map.getMessage().contains("column 'attrs' has type map<string,int>"), map.getMessage());

        UnsupportedColumnException nested = assertThrows(UnsupportedColumnException.class, () -> SluiceWriter.write(
                base.withColumn("grid", functions.array(functions.col("tokens"))), location, options()));
        assertTrue(nested.getMessage().contains("column 'grid'") && nested.getMessage().contains("withShape"),
                nested.getMessage());

        UnsupportedColumnException typo = assertThrows(UnsupportedColumnException.class,
                () -> SluiceWriter.write(base, location, options().withEncoding("img", "jpeg")));
        assertTrue(typo.getMessage().contains("[img]"), typo.getMessage());
        try (ObjectStore store = store(location)) {
            assertEquals(List.of(), store.list(""), "nothing was written");
        }
    }

    @Test
    void existingDatasetIsKeptUnlessOverwriteReplacesIt() throws IOException {
        String location = location("overwrite");
        SluiceWriteOptions o = options().withShape("embedding", 6).withShardBytes(64 << 10);
        Manifest first = SluiceWriter.write(frame(rows(300), 2), location, o);
        assertThrows(FileAlreadyExistsException.class, () -> SluiceWriter.write(frame(rows(100), 2), location, o));
        Manifest second = SluiceWriter.write(frame(rows(100), 2), location, o.withOverwrite(true));
        assertEquals(100, second.split("train").samples());
        try (ObjectStore store = store(location)) {
            assertEquals(storedKeys(second), keys(store), "the first dataset's shards are gone");
            assertEquals(100, Dataset.open(store).manifest().split("train").samples());
        }
        assertEquals(300, first.split("train").samples());
    }

    // --- fixtures ---

    /** Rows with images (JPEG signature, varied lengths), non-ASCII captions, labels, token lists, embeddings. */
    static List<Row> rows(int n) {
        List<Row> rows = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            int i = k;
            byte[] image = S3TestSupport.bytes(64 + (i * 37) % 1500, i);
            image[0] = (byte) 0xFF;
            image[1] = (byte) 0xD8;
            image[2] = (byte) 0xFF;
            String caption = i % 100 == 0 ? "" : "sample " + i + " — café ✓ 日本";
            List<Integer> tokens = IntStream.range(0, i % 21).mapToObj(j -> j * 31 + i).toList();
            List<Float> embedding = IntStream.range(0, 6).mapToObj(j -> i + j / 8f).toList();
            rows.add(RowFactory.create(image, caption, (long) (i % CLASSES.size()), seq(tokens), seq(embedding)));
        }
        return rows;
    }

    /** Spark 4 rows hold arrays as Scala sequences. */
    private static scala.collection.immutable.Seq<?> seq(List<?> list) {
        return scala.jdk.javaapi.CollectionConverters.asScala(list).toSeq();
    }

    /** A DataFrame whose partitions are consecutive slices of {@code rows}, in order. */
    static org.apache.spark.sql.Dataset<Row> frame(List<Row> rows, int partitions) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        return spark.createDataFrame(jsc.parallelize(rows, partitions), ROWS);
    }

    /** Compares a stored sample with its input row, value by value, by the format's byte rules. */
    private static void assertSample(Row row, byte[][] sample, String what) {
        assertArrayEquals((byte[]) row.get(0), sample[0], what + " image");
        assertArrayEquals(row.getString(1).getBytes(StandardCharsets.UTF_8), sample[1], what + " caption");
        assertArrayEquals(le(8).putLong(row.getLong(2)).array(), sample[2], what + " label");
        List<Integer> tokens = row.getList(3);
        ByteBuffer t = le(4 * tokens.size());
        tokens.forEach(t::putInt);
        assertArrayEquals(t.array(), sample[3], what + " tokens");
        List<Float> embedding = row.getList(4);
        ByteBuffer e = le(4 * embedding.size());
        embedding.forEach(e::putFloat);
        assertArrayEquals(e.array(), sample[4], what + " embedding");
    }

    private static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    private static Set<String> storedKeys(Manifest m) {
        Set<String> keys = new TreeSet<>();
        keys.add(Manifest.KEY);
        m.splits().values().forEach(s -> s.shards().stream().map(ShardInfo::key).forEach(keys::add));
        return keys;
    }

    private static Set<String> keys(ObjectStore store) throws IOException {
        Set<String> keys = new TreeSet<>();
        for (ObjectInfo o : store.list("")) {
            keys.add(o.key());
        }
        return keys;
    }

    private static SluiceWriteOptions options() {
        return SluiceWriteOptions.defaults().withStore(S3TestSupport.options(S3TestSupport.endpoint(S3)));
    }

    private static String location(String name) {
        return "s3://" + S3TestSupport.BUCKET + "/" + name;
    }

    private static ObjectStore store(String location) {
        return Stores.open(location, S3TestSupport.options(S3TestSupport.endpoint(S3)));
    }
}
