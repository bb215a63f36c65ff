package dev.sluice.data.store;

import dev.sluice.data.format.Dataset;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.adobe.testing.s3mock.junit5.S3MockExtension;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@link S3Store} against S3Mock, a real S3 protocol server in this JVM. */
class S3StoreTest {

    @RegisterExtension
    static final S3MockExtension S3 = S3TestSupport.s3Mock();

    private static final int PART = 1 << 20;
    private static final int OBJECT_SIZE = 5 * PART + 123;
    private static final byte[] OBJECT = S3TestSupport.bytes(OBJECT_SIZE, 42);

    /** Reads in 1 MiB parts; uploads below 64 MiB in one PUT. */
    private static S3Store store;

    @TempDir
    Path tmp;

    @BeforeAll
    static void open() throws Exception {
        store = S3Store.open("s3://" + S3TestSupport.BUCKET + "/reads", S3TestSupport.options(S3TestSupport.endpoint(S3))
                .withPartBytes(PART).withMultipartThresholdBytes(64L << 20));
        store.put("object.bin", OBJECT);
    }

    @AfterAll
    static void close() {
        store.close();
    }

    @Test
    void rangedReadsReturnExactlyTheBytesOfTheObject() throws Exception {
        long[][] ranges = {
            {0, 1},
            {0, OBJECT_SIZE},                        // whole object, 6 CRT parts
            {OBJECT_SIZE - 1, 1},                    // the last byte
            {OBJECT_SIZE - 1000, 1000},              // the tail
            {PART - 3, 10},                          // across a part boundary
            {12_345, 3 * PART + 7},                  // larger than the part size, unaligned
            {2 * PART, PART},                        // exactly one aligned part
        };
        for (long[] r : ranges) {
            int off = (int) r[0];
            int len = (int) r[1];
            // a region inside a larger direct buffer: bytes around it must stay untouched
            ByteBuffer buf = ByteBuffer.allocateDirect(len + 64);
            for (int i = 0; i < buf.capacity(); i++) {
                buf.put(i, (byte) 0x5A);
            }
            buf.position(17).limit(17 + len);
            store.read("object.bin", off, buf);
            assertEquals(17 + len, buf.position(), "position advanced by the length read");
            byte[] got = new byte[len];
            buf.get(17, got);
            assertArrayEquals(Arrays.copyOfRange(OBJECT, off, off + len), got, "bytes [" + off + ", " + (off + len) + ")");
            buf.limit(buf.capacity());
            for (int i = 0; i < 17; i++) {
                assertEquals((byte) 0x5A, buf.get(i), "byte before the region untouched");
            }
            for (int i = 17 + len; i < buf.capacity(); i++) {
                assertEquals((byte) 0x5A, buf.get(i), "byte after the region untouched");
            }
        }
        // heap buffers work too (readAll uses one)
        assertArrayEquals(OBJECT, store.readAll("object.bin"));
    }

    @Test
    void manyConcurrentAsyncReadsAreAllExact() throws Exception {
        SplittableRandom r = new SplittableRandom(7);
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        List<ByteBuffer> buffers = new ArrayList<>();
        List<int[]> ranges = new ArrayList<>();
        for (int i = 0; i < 48; i++) {
            int len = 1 + r.nextInt(2 * PART);
            int off = r.nextInt(OBJECT_SIZE - len + 1);
            ByteBuffer b = ByteBuffer.allocateDirect(len);
            buffers.add(b);
            ranges.add(new int[] {off, len});
            futures.add(store.readAsync("object.bin", off, b));
        }
        CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);
        for (int i = 0; i < buffers.size(); i++) {
            ByteBuffer b = buffers.get(i).flip();
            byte[] got = new byte[b.remaining()];
            b.get(got);
            int off = ranges.get(i)[0];
            assertArrayEquals(Arrays.copyOfRange(OBJECT, off, off + ranges.get(i)[1]), got, "read " + i);
        }
    }

    @Test
    void aChecksummedReadReportsTheCrc32cOfTheBytesItWrote() throws Exception {
        long[][] ranges = {{0, OBJECT_SIZE}, {PART - 3, 10}, {12_345, 2 * PART + 7}, {OBJECT_SIZE - 1, 1}};
        for (long[] r : ranges) {
            int off = (int) r[0];
            int len = (int) r[1];
            ByteBuffer buf = ByteBuffer.allocateDirect(len);
            ReadReport report = store.readReported("object.bin", off, buf, true).get(60, TimeUnit.SECONDS);
            java.util.zip.CRC32C expected = new java.util.zip.CRC32C();
            expected.update(OBJECT, off, len);
            assertTrue(report.hasCrc32c(), "asked for a checksum");
            assertEquals(expected.getValue(), report.crc32c(), "CRC-32C of bytes [" + off + ", " + (off + len) + ")");
            byte[] got = new byte[len];
            buf.flip().get(got);
            assertArrayEquals(Arrays.copyOfRange(OBJECT, off, off + len), got);
        }
        // not asked: no checksum
        assertFalse(store.readReported("object.bin", 0, ByteBuffer.allocateDirect(10)).get(60, TimeUnit.SECONDS)
                .hasCrc32c());
    }

    @Test
    void readingPastTheEndFailsAtOnceNamingTheRange() {
        ByteBuffer b = ByteBuffer.allocateDirect(200);
        long before = store.stats().attempts();
        TransferFailedException e = assertThrows(TransferFailedException.class,
                () -> store.read("object.bin", OBJECT_SIZE - 100, b));
        assertEquals(1, e.attempts(), "a range past the end is not retried");
        assertEquals(1, store.stats().attempts() - before);
        assertEquals(OBJECT_SIZE - 100, e.rangeStart());
        assertEquals(OBJECT_SIZE + 100, e.rangeEnd());
        assertTrue(e.getMessage().contains("object ends at byte " + OBJECT_SIZE), e.getMessage());
        assertEquals(0, b.position(), "a failed read does not move the position");

        TransferFailedException beyond = assertThrows(TransferFailedException.class,
                () -> store.read("object.bin", OBJECT_SIZE + 10, ByteBuffer.allocate(10)));
        assertEquals(1, beyond.attempts());
        assertTrue(beyond.getMessage().contains("bytes [" + (OBJECT_SIZE + 10) + ", " + (OBJECT_SIZE + 20) + ")"),
                beyond.getMessage());
    }

    @Test
    void missingKeyIsObjectNotFoundNamingBucketAndKey() throws Exception {
        ObjectNotFoundException e = assertThrows(ObjectNotFoundException.class,
                () -> store.read("no/such.bin", 0, ByteBuffer.allocateDirect(10)));
        assertTrue(e.getMessage().contains("s3://" + S3TestSupport.BUCKET + "/reads/no/such.bin"), e.getMessage());
        assertEquals("no/such.bin", e.key());
        assertThrows(ObjectNotFoundException.class, () -> store.size("no/such.bin"));
        assertFalse(store.exists("no/such.bin"));
        ExecutionException async = assertThrows(ExecutionException.class,
                () -> store.readAsync("no/such.bin", 0, ByteBuffer.allocateDirect(10)).get(30, TimeUnit.SECONDS));
        assertTrue(async.getCause() instanceof ObjectNotFoundException, String.valueOf(async.getCause()));
    }

    @Test
    void aBucketThatDoesNotExistIsSaidSoAndNotReportedAsAMissingManifest() throws Exception {
        try (S3Store nowhere = S3Store.open("s3://no-such-bucket-sluice/datasets/fmnist",
                S3TestSupport.options(S3TestSupport.endpoint(S3)))) {
            // the loader and trainer start here: Dataset.open reads manifest.json (a HEAD, then a GET)
            BucketNotFoundException e = assertThrows(BucketNotFoundException.class, () -> Dataset.open(nowhere));
            assertEquals("no-such-bucket-sluice", e.bucket());
            assertTrue(e.getMessage().startsWith("s3://no-such-bucket-sluice/datasets/fmnist/manifest.json: bucket"
                    + " 'no-such-bucket-sluice' does not exist"), e.getMessage());
            assertTrue(e.getMessage().contains("check the location and the endpoint"), e.getMessage());
            assertFalse(e.getMessage().contains("no manifest.json here"), e.getMessage());
            // the same words as a listing (what ingest sees first) gives
            BucketNotFoundException listed = assertThrows(BucketNotFoundException.class, () -> nowhere.list(""));
            assertTrue(listed.getMessage().contains("bucket 'no-such-bucket-sluice' does not exist"),
                    listed.getMessage());
            assertThrows(BucketNotFoundException.class, () -> nowhere.exists("manifest.json"),
                    "a missing bucket is not a missing object");
        }
        // a missing object in a bucket that exists is still just that
        assertThrows(ObjectNotFoundException.class, () -> store.size("no/such/manifest.json"));
    }

    @Test
    void putSizeExistsReadAllDeleteRoundTrip() throws Exception {
        byte[] small = "{\"version\":1}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        store.put("meta/manifest.json", small);
        assertTrue(store.exists("meta/manifest.json"));
        assertEquals(small.length, store.size("meta/manifest.json"));
        assertArrayEquals(small, store.readAll("meta/manifest.json"));
        store.put("meta/manifest.json", new byte[0]);
        assertEquals(0, store.size("meta/manifest.json"), "put replaces the object");
        store.delete("meta/manifest.json");
        assertFalse(store.exists("meta/manifest.json"));
        store.delete("meta/manifest.json"); // deleting a missing key is not an error
    }

    @Test
    void listPagesThroughMoreThanAThousandObjects() throws Exception {
        int n = 1050;
        try (S3Store many = S3Store.open("s3://" + S3TestSupport.BUCKET + "/listing",
                S3TestSupport.options(S3TestSupport.endpoint(S3)))) {
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<?>> puts = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    String key = String.format("many/obj-%05d", i);
                    byte[] data = new byte[i % 7];
                    puts.add(pool.submit(() -> {
                        many.put(key, data);
                        return null;
                    }));
                }
                many.put("other/x", new byte[3]);
                for (Future<?> f : puts) {
                    f.get(60, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            List<ObjectInfo> listed = many.list("many/");
            assertEquals(n, listed.size(), "every object across the 1000-key pages");
            for (int i = 0; i < n; i++) {
                assertEquals(String.format("many/obj-%05d", i), listed.get(i).key(), "sorted, relative to the prefix");
                assertEquals(i % 7, listed.get(i).size());
            }
            assertEquals(n + 1, many.list("").size());
            assertEquals(List.of(new ObjectInfo("other/x", 3)), many.list("other/"));
            assertEquals(List.of(), many.list("nothing-here/"));
        }
    }

    @Test
    void publishUploadsALargeFileInPartsAndDeletesIt() throws Exception {
        int size = 20 * (1 << 20) + 4321;
        byte[] data = S3TestSupport.bytes(size, 99);
        Path file = tmp.resolve("shard-00000.bin");
        Files.write(file, data);
        // through a pass-through proxy only to count the multipart requests on the wire
        try (FaultInjectingProxy proxy = new FaultInjectingProxy(S3.getHttpPort(), Duration.ofSeconds(1),
                        Duration.ofMinutes(2));
                S3Store up = S3Store.open("s3://" + S3TestSupport.BUCKET + "/published",
                        S3TestSupport.options(proxy.endpoint().toString())
                                .withPartBytes(5L << 20).withMultipartThresholdBytes(8L << 20))) {
            up.publish("shards/shard-00000.bin", file);
            assertFalse(Files.exists(file), "publish takes ownership of the local file");
            assertEquals(size, up.size("shards/shard-00000.bin"));
            long parts = proxy.requestLog().stream().filter(l -> l.startsWith("PUT ") && l.contains("partNumber=")).count();
            assertEquals(5, parts, "20 MiB in 5 MiB parts: " + proxy.requestLog());
            ByteBuffer back = ByteBuffer.allocateDirect(size);
            up.read("shards/shard-00000.bin", 0, back);
            back.flip();
            byte[] got = new byte[size];
            back.get(got);
            assertArrayEquals(data, got, "byte-for-byte round trip");
            assertEquals(size, up.stats().bytesWritten());
        }
    }

    @Test
    void storesOpenMakesKeysRelativeToThePrefix() throws Exception {
        StoreOptions options = S3TestSupport.options(S3TestSupport.endpoint(S3));
        try (ObjectStore prefixed = Stores.open("s3://" + S3TestSupport.BUCKET + "/datasets/v1/", options);
                ObjectStore root = Stores.open("s3://" + S3TestSupport.BUCKET, options)) {
            assertTrue(prefixed instanceof S3Store);
            assertEquals("s3://" + S3TestSupport.BUCKET + "/datasets/v1", prefixed.location());
            prefixed.put("a/b.bin", new byte[] {1, 2, 3});
            assertEquals(List.of(new ObjectInfo("a/b.bin", 3)), prefixed.list(""));
            assertTrue(root.exists("datasets/v1/a/b.bin"), "stored under the prefix in the bucket");
            assertArrayEquals(new byte[] {1, 2, 3}, root.readAll("datasets/v1/a/b.bin"));
            assertThrows(StoreException.class, () -> prefixed.put("/absolute", new byte[1]));
        }
    }

    @Test
    void listGivesKeysInTheOrderOfTheirUtf8Bytes() throws Exception {
        // UTF-8: 'z' 7A, U+FF01 (fullwidth '!') EF BC 81, U+1F600 (an emoji, a surrogate pair in Java)
        // F0 9F 98 80. String.compareTo would put the emoji first (its first UTF-16 unit is D83D).
        List<String> utf8Order = List.of("order/z", "order/\uFF01", "order/\uD83D\uDE00");
        for (String k : List.of(utf8Order.get(2), utf8Order.get(0), utf8Order.get(1))) {
            store.put(k, new byte[] {1});
        }
        assertEquals(utf8Order, store.list("order/").stream().map(ObjectInfo::key).toList());
        // iterate() passes on the server's order: S3's is the UTF-8 order, but S3Mock lists in
        // String's order, so only the keys are checked here
        List<String> iterated = new ArrayList<>();
        store.iterate("order/").forEachRemaining(o -> iterated.add(o.key()));
        assertEquals(java.util.Set.copyOf(utf8Order), java.util.Set.copyOf(iterated));
    }
}
