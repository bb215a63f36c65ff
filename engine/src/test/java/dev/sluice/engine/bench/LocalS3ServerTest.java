package dev.sluice.engine.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.s3local.LocalS3Server;
import dev.sluice.data.format.Dataset;
import dev.sluice.data.loader.EpochStream;
import dev.sluice.data.loader.HostBatch;
import dev.sluice.data.loader.Loader;
import dev.sluice.data.loader.LoaderConfig;
import dev.sluice.data.loader.LoaderState;
import dev.sluice.data.memory.DirectAllocator;
import dev.sluice.data.store.FileStore;
import dev.sluice.data.store.ObjectInfo;
import dev.sluice.data.store.ObjectNotFoundException;
import dev.sluice.data.store.S3Store;
import dev.sluice.data.store.S3TestSupport;
import dev.sluice.data.store.StoreException;
import dev.sluice.data.store.StoreOptions;
import dev.sluice.data.testing.SyntheticDatasets;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The benchmark's local S3 server, driven by the real {@link S3Store} (CRT client) and by plain HTTP. */
class LocalS3ServerTest {

    private static final int PART = 1 << 20;
    private static final byte[] BIG = S3TestSupport.bytes(3 * PART + 12_345, 77);

    @TempDir
    static Path root;

    static LocalS3Server server;
    static S3Store store;
    static HttpClient http;

    @BeforeAll
    static void start() throws IOException {
        Files.createDirectories(root.resolve("ds/train"));
        Files.write(root.resolve("ds/train/big.bin"), BIG);
        for (int i = 0; i < 5; i++) {
            Files.write(root.resolve("ds/small-" + i + ".txt"), ("object " + i).getBytes());
        }
        Files.write(root.resolve("ds/with space+plus.txt"), new byte[] {1, 2, 3});
        Files.createDirectories(root.resolve("ds/.staging"));
        Files.write(root.resolve("ds/.staging/hidden.bin"), new byte[10]);
        // two keys per listing page, so every listing pages
        server = LocalS3Server.start(root, "bkt", 2, 64, 200);
        StoreOptions options = S3TestSupport.options(server.endpoint()).withPartBytes(PART).withMaxConcurrency(8);
        store = S3Store.open("s3://bkt/ds", options);
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterAll
    static void stop() {
        store.close();
        server.close();
    }

    private static byte[] read(String key, long offset, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocateDirect(length);
        store.read(key, offset, b);
        assertEquals(length, b.position());
        byte[] out = new byte[length];
        b.flip().get(out);
        return out;
    }

    @Test
    void rangedReadsThroughTheCrtClientAreExact() throws Exception {
        // one read the client splits into four part GETs, and ranges inside and across parts
        assertArrayEquals(BIG, read("train/big.bin", 0, BIG.length));
        int[][] ranges = {{0, 1}, {PART - 3, 7}, {PART / 2, 2 * PART + 5}, {BIG.length - 100, 100}};
        for (int[] r : ranges) {
            assertArrayEquals(Arrays.copyOfRange(BIG, r[0], r[0] + r[1]), read("train/big.bin", r[0], r[1]),
                    "range at " + r[0]);
        }
        assertEquals(BIG.length, store.size("train/big.bin"));
        assertTrue(store.exists("small-0.txt"));
        assertFalse(store.exists("missing.bin"));
        assertThrows(ObjectNotFoundException.class, () -> read("missing.bin", 0, 10));
        assertArrayEquals(new byte[] {1, 2, 3}, store.readAll("with space+plus.txt"));
        assertTrue(server.requestLog().stream().anyMatch(l -> l.startsWith("GET /bkt/ds/train/big.bin [bytes=")
                && l.endsWith("-> 206")), String.join("\n", server.requestLog()));
        assertEquals(0, store.stats().retries(), "no request of a healthy server needs a retry");
    }

    @Test
    void listingPagesInKeyOrderAndHidesDotPaths() throws Exception {
        List<ObjectInfo> all = store.list("");
        List<String> keys = all.stream().map(ObjectInfo::key).toList();
        assertEquals(List.of("small-0.txt", "small-1.txt", "small-2.txt", "small-3.txt", "small-4.txt",
                "train/big.bin", "with space+plus.txt"), keys);
        assertEquals(BIG.length, all.get(5).size());
        assertEquals(List.of(new ObjectInfo("train/big.bin", BIG.length)), store.list("train/"));
        assertEquals(List.of(), store.list("nothing/"));
        long pages = server.requestLog().stream().filter(l -> l.contains("list-type=2")
                && l.contains("continuation-token=")).count();
        assertTrue(pages >= 3, "seven keys in pages of two: " + server.requestLog());
    }

    @Test
    void listingFollowsTheKeysUtf8BytesAcrossPages() throws Exception {
        // UTF-8: 'z' 7A, U+FF01 EF BC 81, U+1F600 F0 9F 98 80; String's order puts U+1F600 before U+FF01
        List<String> utf8Order = List.of("z", "\uFF01", "\uD83D\uDE00", "\uD83D\uDE00x");
        Files.createDirectories(root.resolve("ds2"));
        for (String k : utf8Order) {
            Files.write(root.resolve("ds2").resolve(k), new byte[] {7});
        }
        try (S3Store other = S3Store.open("s3://bkt/ds2", S3TestSupport.options(server.endpoint()))) {
            List<String> iterated = new ArrayList<>();
            other.iterate("").forEachRemaining(o -> iterated.add(o.key()));
            assertEquals(utf8Order, iterated, "the server's own order, in pages of two");
        }
    }

    @Test
    void writesAreRefusedAsReadOnly() {
        StoreException e = assertThrows(StoreException.class, () -> store.put("new.bin", new byte[] {1}));
        assertTrue(e.getMessage().contains("read-only"), e.getMessage());
        assertFalse(Files.exists(root.resolve("ds/new.bin")));
    }

    @Test
    void httpDetailsFollowS3() throws Exception {
        String base = server.endpoint() + "/bkt/ds/";
        HttpResponse<byte[]> r = get(base + "train/big.bin", "Range", "bytes=-10");
        assertEquals(206, r.statusCode());
        assertEquals("bytes " + (BIG.length - 10) + "-" + (BIG.length - 1) + "/" + BIG.length,
                r.headers().firstValue("Content-Range").orElseThrow());
        assertArrayEquals(Arrays.copyOfRange(BIG, BIG.length - 10, BIG.length), r.body());
        String etag = r.headers().firstValue("ETag").orElseThrow();
        assertTrue(etag.matches("\"[0-9a-f]{32}\""), etag);

        r = get(base + "train/big.bin", "Range", "bytes=" + (BIG.length - 5) + "-");
        assertEquals(206, r.statusCode());
        assertEquals(5, r.body().length);

        r = get(base + "train/big.bin", "Range", "bytes=" + BIG.length + "-");
        assertEquals(416, r.statusCode());
        assertEquals("bytes */" + BIG.length, r.headers().firstValue("Content-Range").orElseThrow());
        assertTrue(new String(r.body()).contains("<Code>InvalidRange</Code>"));

        r = get(base + "small-1.txt");
        assertEquals(200, r.statusCode());
        assertEquals("object 1", new String(r.body()));
        assertEquals("bytes", r.headers().firstValue("Accept-Ranges").orElseThrow());

        HttpResponse<Void> head = http.send(HttpRequest.newBuilder(URI.create(base + "train/big.bin"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        assertEquals(200, head.statusCode());
        assertEquals(Long.toString(BIG.length), head.headers().firstValue("Content-Length").orElseThrow());
        assertEquals(etag, head.headers().firstValue("ETag").orElseThrow());

        r = get(base + "train/big.bin", "If-Match", "\"0000\"", "Range", "bytes=0-9");
        assertEquals(412, r.statusCode());
        r = get(base + "train/big.bin", "If-Match", etag, "Range", "bytes=0-9");
        assertEquals(206, r.statusCode());

        assertEquals(404, get(base + ".staging/hidden.bin").statusCode());
        assertEquals(404, get(server.endpoint() + "/bkt/ds/%2E%2E/ds/small-0.txt").statusCode());
        r = get(server.endpoint() + "/other/ds/small-0.txt");
        assertEquals(404, r.statusCode());
        assertTrue(new String(r.body()).contains("NoSuchBucket"));
    }

    @Test
    void loaderOverTheServerDeliversWhatTheFilesHold() throws Exception {
        Path dsDir = root.resolve("synthetic");
        try (FileStore files = new FileStore(dsDir)) {
            SyntheticDatasets.write(files, root.resolve("stage"), 300, 8, 8, 3, false, 40_000);
        }
        LoaderConfig cfg = LoaderConfig.training("train", 32, 5).withIo(2, 16_384, 4);
        List<Long> fromFiles;
        try (FileStore files = new FileStore(dsDir)) {
            fromFiles = ids(Dataset.open(files), cfg);
        }
        try (S3Store s3 = S3Store.open("s3://bkt/synthetic", S3TestSupport.options(server.endpoint()))) {
            Dataset ds = Dataset.open(s3);
            assertEquals(fromFiles, ids(ds, cfg), "same batches, same order, over S3");
        }
        assertEquals(9 * 32, fromFiles.size());
    }

    private static List<Long> ids(Dataset ds, LoaderConfig cfg) throws IOException {
        List<Long> out = new ArrayList<>();
        try (Loader l = new Loader(ds, cfg, new DirectAllocator()); EpochStream s = l.open(LoaderState.start(5, 0))) {
            for (HostBatch next = s.next(); next != null; next = s.next()) {
                try (HostBatch b = next) {
                    for (int i = 0; i < b.size(); i++) {
                        out.add(b.sampleId(i));
                    }
                }
            }
        }
        return out;
    }

    private static HttpResponse<byte[]> get(String url, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }
}
