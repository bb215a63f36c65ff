package dev.sluice.data.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.adobe.testing.s3mock.junit5.S3MockExtension;
import dev.sluice.data.store.FaultInjectingProxy.Fault;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * {@link S3Store} against S3Mock behind a {@link FaultInjectingProxy}: every fault is retried and
 * the bytes stay exact; exhausted retries give a typed error; credentials never leak.
 */
class S3StoreFaultTest {

    @RegisterExtension
    static final S3MockExtension S3 = S3TestSupport.s3Mock();

    private static final int PART = 1 << 20;
    private static final int OBJECT_SIZE = 3 * PART + 777;
    private static final byte[] OBJECT = S3TestSupport.bytes(OBJECT_SIZE, 1234);
    private static final int MAX_ATTEMPTS = 5;

    // distinctive fake credentials: S3Mock does not check signatures, the proxy echoes them back
    private static final String KEY_ID = "AKIASLUICELEAKTEST01";
    private static final String SECRET = "sluiceSecret/DO+NOT+LEAK/0123456789abcdefXYZ";
    private static final String TOKEN = "sluice-session-token-DO-NOT-LEAK-4242";

    private static FaultInjectingProxy proxy;
    private static S3Store store;

    @TempDir
    Path tmp;

    @BeforeAll
    static void open() throws Exception {
        proxy = new FaultInjectingProxy(S3.getHttpPort(), Duration.ofMillis(1500), Duration.ofMinutes(3));
        StoreOptions options = S3TestSupport.options(proxy.endpoint().toString())
                .withPartBytes(PART)
                .withMultipartThresholdBytes(8L << 20)
                .withMaxConcurrency(8)
                .withRetry(new RetryPolicy(MAX_ATTEMPTS, Duration.ofMillis(5), Duration.ofMillis(40),
                        Duration.ofMillis(400)));
        store = S3Store.open("s3://" + S3TestSupport.BUCKET + "/faults", options,
                StaticCredentialsProvider.create(AwsSessionCredentials.create(KEY_ID, SECRET, TOKEN)));
        store.put("object.bin", OBJECT);
    }

    @AfterAll
    static void close() {
        store.close();
        proxy.close();
    }

    @AfterEach
    void clearFaults() {
        proxy.clearRules();
    }

    private static byte[] read(long offset, int length) throws Exception {
        ByteBuffer b = ByteBuffer.allocateDirect(length);
        store.read("object.bin", offset, b);
        assertEquals(length, b.position());
        b.flip();
        byte[] out = new byte[length];
        b.get(out);
        return out;
    }

    /**
     * One 503 on a one-part read: the CRT retries the part by itself and the store's own retry never
     * runs. The retry still shows in the store's count (from the SDK's metrics).
     */
    @Test
    void theClientsOwnRetryIsCounted() throws Exception {
        // a store of its own: the SDK publishes a request's metrics after it ended, so a retry of
        // another test's request could otherwise land in this test's count; and a stall timeout well
        // above the CRT's back-off before its own retry (the class's 400 ms is not always: then the
        // store abandoned the waiting attempt and retried too, two real retries where this test
        // wants to see the client's one)
        StoreOptions options = S3TestSupport.options(proxy.endpoint().toString()).withPartBytes(PART)
                .withRetry(new RetryPolicy(MAX_ATTEMPTS, Duration.ofMillis(5), Duration.ofMillis(40),
                        Duration.ofSeconds(20)));
        try (S3Store own = S3Store.open("s3://" + S3TestSupport.BUCKET + "/faults", options,
                StaticCredentialsProvider.create(AwsSessionCredentials.create(KEY_ID, SECRET, TOKEN)))) {
            int before = proxy.injected(Fault.SLOW_DOWN_503);
            proxy.inject("GET", "/faults/object.bin", Fault.SLOW_DOWN_503);
            ByteBuffer b = ByteBuffer.allocateDirect(100_000);
            own.read("object.bin", 200_000, b);
            byte[] got = new byte[100_000];
            b.flip().get(got);
            assertArrayEquals(Arrays.copyOfRange(OBJECT, 200_000, 300_000), got);
            assertEquals(1, proxy.injected(Fault.SLOW_DOWN_503) - before, "the fault was hit once");
            long retries = own.awaitClientRetries(1, java.time.Duration.ofSeconds(30));
            assertEquals(1, retries, "the client's retry was counted");
            assertEquals(1, own.stats().retries(), "one retry in all: " + own.stats());
        }
    }

    @ParameterizedTest
    @EnumSource(value = Fault.class, names = {"SLOW_DOWN_503", "INTERNAL_500", "RESET_MID_BODY", "TRUNCATE_BODY",
        "SHORT_RANGE", "CLOSE_DELIMITED_SHORT", "STALL"})
    void everyFaultOnAReadIsRetriedAndTheBytesStayExact(Fault fault) throws Exception {
        // {offset, length, part GETs}: a single-part range and one the client splits into three parts
        int[][] ranges = {{100_000, 300_000, 1}, {PART / 2, 2 * PART + 1, 3}};
        for (int[] r : ranges) {
            int before = proxy.injected(fault);
            long retriesBefore = store.stats().retries();
            long shortBefore = store.stats().shortReads();
            // The CRT retries a failed part once by itself: one fault more than there are parts
            // means some part fails twice, so the store's own retry has to run.
            Fault[] faults = new Fault[r[2] + 1];
            Arrays.fill(faults, fault);
            proxy.inject("GET", "/faults/object.bin", faults);
            byte[] got = read(r[0], r[1]);
            assertArrayEquals(Arrays.copyOfRange(OBJECT, r[0], r[0] + r[1]), got, fault + " at " + r[0]);
            assertEquals(faults.length, proxy.injected(fault) - before, "every scheduled fault was hit");
            assertTrue(store.stats().retries() - retriesBefore >= 1, "the store itself retried");
            if (fault == Fault.CLOSE_DELIMITED_SHORT && r[2] == 1) {
                // the client reports success for a close-delimited body; only the store's count of
                // received bytes against the range asked for catches it
                assertTrue(store.stats().shortReads() - shortBefore >= 1, "the store caught the short body itself");
            }
        }
    }

    @Test
    void faultsOnMetadataListingAndUploadsAreRetried() throws Exception {
        proxy.inject("HEAD", "/faults/object.bin", Fault.SLOW_DOWN_503, Fault.INTERNAL_500);
        assertEquals(OBJECT_SIZE, store.size("object.bin"));

        proxy.inject("GET", "list-type=2", Fault.INTERNAL_500, Fault.TRUNCATE_BODY);
        assertEquals(List.of(new ObjectInfo("object.bin", OBJECT_SIZE)), store.list("object"));

        byte[] small = S3TestSupport.bytes(10_000, 5);
        proxy.inject("PUT", "/faults/put.bin", Fault.SLOW_DOWN_503, Fault.INTERNAL_500);
        store.put("put.bin", small);
        assertArrayEquals(small, store.readAll("put.bin"));

        // a multipart upload whose second part fails twice: retried until the object is whole
        byte[] big = S3TestSupport.bytes(12 * PART + 5, 6);
        Path file = tmp.resolve("big.bin");
        Files.write(file, big);
        proxy.inject("PUT", "partNumber=2", Fault.INTERNAL_500, Fault.SLOW_DOWN_503);
        store.publish("big.bin", file);
        assertFalse(Files.exists(file));
        assertArrayEquals(big, store.readAll("big.bin"));
        long partFaults = proxy.requestLog().stream()
                .filter(l -> l.contains("partNumber=2") && (l.endsWith("-> INTERNAL_500") || l.endsWith("-> SLOW_DOWN_503")))
                .count();
        assertEquals(2, partFaults, "both faults on part 2 were hit: " + proxy.requestLog());
    }

    @Test
    void exhaustingRetriesGivesATypedErrorNamingBucketKeyAndRange() {
        proxy.always("GET", "/faults/object.bin", Fault.SLOW_DOWN_503);
        int before = proxy.injected(Fault.SLOW_DOWN_503);
        long failuresBefore = store.stats().failures();
        ByteBuffer b = ByteBuffer.allocateDirect(4096);
        b.position(100);
        TransferFailedException e = assertThrows(TransferFailedException.class, () -> store.read("object.bin", 5000, b));
        assertEquals(S3TestSupport.BUCKET, e.bucket());
        assertEquals("faults/object.bin", e.objectKey());
        assertEquals("object.bin", e.key());
        assertEquals(5000, e.rangeStart());
        assertEquals(5000 + 3996, e.rangeEnd());
        assertEquals(MAX_ATTEMPTS, e.attempts());
        int gets = proxy.injected(Fault.SLOW_DOWN_503) - before;
        // each attempt is one GET plus at most the CRT's one retry of it (unless the stall
        // watchdog abandoned the attempt while the CRT was backing off)
        assertTrue(gets >= MAX_ATTEMPTS && gets <= 2 * MAX_ATTEMPTS, gets + " GETs for " + MAX_ATTEMPTS + " attempts");
        String m = e.getMessage();
        assertTrue(m.contains("s3://" + S3TestSupport.BUCKET + "/faults/object.bin"), m);
        assertTrue(m.contains("bytes [5000, 8996)"), m);
        assertTrue(m.contains("after " + MAX_ATTEMPTS + " attempts"), m);
        assertTrue(m.contains("throttling") || m.contains("SlowDown"), m);
        assertEquals(100, b.position(), "the caller's position is untouched by failed attempts");
        assertEquals(1, store.stats().failures() - failuresBefore);
    }

    @Test
    void credentialsNeverAppearInErrorsOrLogs() throws Exception {
        // the retry lines are at debug level (data's simplelogger.properties turns it on for tests)
        assertTrue(LoggerFactory.getLogger(Retrier.class).isDebugEnabled(), "retry log lines are on");
        List<Throwable> errors = new ArrayList<>();
        PrintStream originalErr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            // a 403 whose body and message echo the access key id, Authorization header and token
            proxy.inject("GET", "/faults/object.bin", Fault.FORBIDDEN_ECHO_CREDENTIALS);
            errors.add(assertThrows(TransferFailedException.class, () -> read(0, 10)));
            // retries that log, then exhaustion
            proxy.always("GET", "/faults/object.bin", Fault.INTERNAL_500);
            errors.add(assertThrows(TransferFailedException.class, () -> read(0, 10)));
            proxy.clearRules();
            proxy.inject("PUT", "/faults/leak.bin", Fault.FORBIDDEN_ECHO_CREDENTIALS);
            errors.add(assertThrows(TransferFailedException.class, () -> store.put("leak.bin", new byte[5])));
            errors.add(assertThrows(ObjectNotFoundException.class, () -> store.size("missing.bin")));
            errors.add(assertThrows(ObjectNotFoundException.class,
                    () -> store.read("missing.bin", 0, ByteBuffer.allocate(5))));
        } finally {
            System.setErr(originalErr);
        }
        // the 403 really carried the key id back: without redaction it would have leaked
        assertTrue(errors.get(0).getMessage().contains("SignatureDoesNotMatch"), errors.get(0).getMessage());
        assertTrue(fullText(errors.get(0)).contains(Redactor.MASK), fullText(errors.get(0)));
        String logs = captured.toString(StandardCharsets.UTF_8);
        assertTrue(logs.contains("retrying"), "retry log lines were captured: " + logs);

        List<String> texts = new ArrayList<>();
        for (Throwable t : errors) {
            texts.add(fullText(t));
            texts.add(t.toString());
        }
        texts.add(logs);
        texts.add(store.toString());
        texts.add(store.stats().toString());
        texts.add(store.location());
        for (String text : texts) {
            for (String secret : List.of(KEY_ID, SECRET, TOKEN)) {
                assertFalse(text.contains(secret), "leaked '" + secret + "' in:\n" + text);
            }
        }
    }

    @Test
    void aSlowResponseWithinTheStallTimeoutIsNotRetried() throws Exception {
        try (FaultInjectingProxy slow = new FaultInjectingProxy(S3.getHttpPort(), Duration.ofMillis(150),
                        Duration.ofMinutes(1));
                S3Store patient = S3Store.open("s3://" + S3TestSupport.BUCKET + "/faults",
                        S3TestSupport.options(slow.endpoint().toString()).withPartBytes(PART))) {
            slow.inject("GET", "/faults/object.bin", Fault.STALL);
            ByteBuffer b = ByteBuffer.allocateDirect(200_000);
            patient.read("object.bin", 0, b);
            b.flip();
            byte[] got = new byte[b.remaining()];
            b.get(got);
            assertArrayEquals(Arrays.copyOfRange(OBJECT, 0, 200_000), got);
            assertEquals(1, slow.injected(Fault.STALL));
            assertEquals(0, patient.stats().retries(), "150 ms of silence is below the 10 s stall timeout");
        }
    }

    @Test
    void cancellingAReadStopsItsWritesAndFreesItsSlot() throws Exception {
        try (FaultInjectingProxy slow = new FaultInjectingProxy(S3.getHttpPort(), Duration.ofMillis(700),
                        Duration.ofMinutes(1));
                S3Store one = S3Store.open("s3://" + S3TestSupport.BUCKET + "/faults",
                        S3TestSupport.options(slow.endpoint().toString()).withPartBytes(PART).withMaxConcurrency(1))) {
            slow.inject("GET", "/faults/object.bin", Fault.STALL);
            slow.holdStalls(); // the response stays stalled until the read has been cancelled
            ByteBuffer b = ByteBuffer.allocateDirect(300_000);
            for (int i = 0; i < b.capacity(); i++) {
                b.put(i, (byte) 0x5A);
            }
            CompletableFuture<Void> f = one.readAsync("object.bin", 0, b);
            assertTrue(slow.awaitStallStarted(Duration.ofSeconds(30)), "the response reached the proxy and stalls");
            assertTrue(f.cancel(true));
            slow.releaseStalls();
            assertTrue(slow.awaitStallEnded(Duration.ofSeconds(30)), "the proxy sent the rest (or found the client gone)");
            // with one slot, this read only runs if the cancelled one gave its slot back
            byte[] got = new byte[1000];
            ByteBuffer again = ByteBuffer.allocateDirect(1000);
            one.readAsync("object.bin", 5, again).get(30, TimeUnit.SECONDS);
            again.flip().get(got);
            assertArrayEquals(Arrays.copyOfRange(OBJECT, 5, 1005), got);
            // the rest of the stalled body has been sent and a later read has finished since:
            // an attempt still running would have written by now
            for (int i = 1024; i < b.capacity(); i++) {
                assertEquals((byte) 0x5A, b.get(i), "no byte written after cancel, index " + i);
            }
            assertEquals(0, b.position());
        }
    }

    @Test
    void closingTheStoreFailsOperationsWaitingToRetry() throws Exception {
        S3Store closing = S3Store.open("s3://" + S3TestSupport.BUCKET + "/faults",
                S3TestSupport.options(proxy.endpoint().toString()).withRetry(
                        new RetryPolicy(5, Duration.ofSeconds(20), Duration.ofSeconds(20), Duration.ofSeconds(10))));
        proxy.always("GET", "/faults/object.bin", Fault.INTERNAL_500);
        int before = proxy.injected(Fault.INTERNAL_500);
        CompletableFuture<Void> f;
        // the store's own line says when the first attempt failed; the retry then waits 10 to 20 s
        try (LogWatch retrying = new LogWatch("GET bytes [0, 100): attempt 1/5 failed")) {
            f = closing.readAsync("object.bin", 0, ByteBuffer.allocateDirect(100));
            retrying.seen.get(60, TimeUnit.SECONDS);
        }
        // the CRT retried the part once by itself (counted from the SDK's metrics, which may trail the
        // log line), then the store scheduled its own retry
        closing.awaitClientRetries(1, Duration.ofSeconds(30));
        assertEquals(2, closing.stats().retries(), "the client's retry and the store's, now backing off");
        long start = System.nanoTime();
        closing.close();
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
        assertTrue(System.nanoTime() - start < 5_000_000_000L);
        assertTrue(e.getCause() instanceof TransferFailedException, String.valueOf(e.getCause()));
        assertTrue(e.getCause().getMessage().contains("closed"), e.getCause().getMessage());
        assertTrue(proxy.injected(Fault.INTERNAL_500) - before <= 2, "no attempt after close");
    }

    /**
     * Tees {@code System.err} (where slf4j-simple writes) while open and completes {@link #seen}
     * with the first line containing {@code text}.
     */
    private static final class LogWatch implements AutoCloseable {
        final CompletableFuture<String> seen = new CompletableFuture<>();
        private final PrintStream original = System.err;

        LogWatch(String text) {
            StringBuilder line = new StringBuilder();
            System.setErr(new PrintStream(new java.io.OutputStream() {
                @Override
                public synchronized void write(int b) {
                    original.write(b);
                    if (b == '\n') {
                        if (line.indexOf(text) >= 0) {
                            seen.complete(line.toString());
                        }
                        line.setLength(0);
                    } else {
                        line.append((char) b);
                    }
                }
            }, true, StandardCharsets.UTF_8));
        }

        @Override
        public void close() {
            System.setErr(original);
        }
    }

    private static String fullText(Throwable t) {
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        return w.toString();
    }
}
