package dev.sluice.data.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.adobe.testing.s3mock.junit5.S3MockExtension;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Back-off per key prefix against S3Mock behind a {@link FaultInjectingProxy} that rate-limits one
 * prefix ("hot/", 10 GET/s, answering 503 SlowDown beyond that, as S3 does) and not the other
 * ("cool/"): the hot prefix slows down until its reads succeed, the cool prefix never waits.
 */
class PrefixBackoffTest {

    @RegisterExtension
    static final S3MockExtension S3 = S3TestSupport.s3Mock();

    private static final int OBJECTS = 48;
    private static final int SIZE = 64 << 10;
    private static final String ROOT = "pb";

    private static FaultInjectingProxy proxy;

    @BeforeAll
    static void upload() throws Exception {
        proxy = new FaultInjectingProxy(S3.getHttpPort(), Duration.ofSeconds(1), Duration.ofMinutes(3));
        try (S3Store direct = S3Store.open("s3://" + S3TestSupport.BUCKET + "/" + ROOT,
                S3TestSupport.options(S3TestSupport.endpoint(S3)))) {
            for (int i = 0; i < OBJECTS; i++) {
                direct.put(hot(i), data(hot(i)));
                direct.put(cool(i), data(cool(i)));
            }
        }
    }

    @AfterAll
    static void close() {
        proxy.close();
    }

    @Test
    void slowDownOnOnePrefixSlowsThatPrefixOnly() throws Exception {
        StoreOptions options = S3TestSupport.options(proxy.endpoint().toString())
                .withMaxConcurrency(8)
                .withHedge(HedgePolicy.off())
                .withRetry(new RetryPolicy(10, Duration.ofMillis(10), Duration.ofMillis(400), Duration.ofSeconds(10)));
        try (S3Store store = S3Store.open("s3://" + S3TestSupport.BUCKET + "/" + ROOT, options)) {
            // connections up first, so the baseline does not pay for them
            for (int i = 0; i < 8; i++) {
                read(store, cool(i), null).get(30, TimeUnit.SECONDS);
            }
            // baseline: the cool prefix alone
            long t0 = System.nanoTime();
            List<CompletableFuture<Void>> alone = new ArrayList<>();
            for (int i = 0; i < OBJECTS; i++) {
                alone.add(read(store, cool(i), null));
            }
            CompletableFuture.allOf(alone.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            long coolAlone = System.nanoTime() - t0;

            // both prefixes at once, the hot one rate-limited by the server
            proxy.rateLimit("GET", "/" + ROOT + "/hot/", 10, 4);
            AtomicInteger hotDone = new AtomicInteger();
            List<Integer> hotDoneWhenCoolDone = new ArrayList<>();
            List<CompletableFuture<Void>> hotReads = new ArrayList<>();
            List<CompletableFuture<Void>> coolReads = new ArrayList<>();
            long t1 = System.nanoTime();
            for (int i = 0; i < OBJECTS; i++) {
                hotReads.add(read(store, hot(i), hotDone));
                CompletableFuture<Void> c = read(store, cool(i), null);
                c.thenRun(() -> {
                    synchronized (hotDoneWhenCoolDone) {
                        hotDoneWhenCoolDone.add(hotDone.get());
                    }
                });
                coolReads.add(c);
            }
            CompletableFuture.allOf(coolReads.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            long coolMixed = System.nanoTime() - t1;
            int hotDoneAtCoolEnd = hotDone.get();
            CompletableFuture.allOf(hotReads.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            long hotMixed = System.nanoTime() - t1;

            PrefixGates.Gate hotGate = store.prefixGate(hot(0));
            PrefixGates.Gate coolGate = store.prefixGate(cool(0));
            System.out.printf("prefix back-off: %d reads per prefix; cool alone %.0f ms, cool beside a throttled hot"
                            + " prefix %.0f ms (hot done %d of %d by then), hot %.0f ms; hot: %d SlowDowns, %d"
                            + " waits, limit down to %d; cool: %d SlowDowns, %d waits%n",
                    OBJECTS, coolAlone / 1e6, coolMixed / 1e6, hotDoneAtCoolEnd, OBJECTS, hotMixed / 1e6,
                    hotGate.throttled(), hotGate.waited(), hotGate.lowestLimit(), coolGate.throttled(),
                    coolGate.waited());

            // the hot prefix was throttled and slowed down, and still delivered every read
            assertTrue(hotGate.throttled() > 0, "the server throttled the hot prefix");
            assertTrue(hotGate.lowestLimit() < 8 && hotGate.waited() > 0, "the hot prefix slowed down");
            // the cool prefix never waited on the hot one's back-off ...
            assertEquals(0, coolGate.throttled());
            assertEquals(0, coolGate.waited(), "cool reads held back");
            // ... and finished while the hot prefix was still being paced (a client-wide back-off
            // would have held the cool reads behind the hot ones)
            assertTrue(hotDoneAtCoolEnd < OBJECTS / 2, "hot reads done when the last cool read completed: "
                    + hotDoneAtCoolEnd);
            assertEquals(hotGate.throttled(), store.stats().throttled());
        } finally {
            proxy.clearRules();
        }
    }

    private static CompletableFuture<Void> read(S3Store store, String key, AtomicInteger done) {
        ByteBuffer dst = ByteBuffer.allocate(SIZE);
        return store.readAsync(key, 0, dst).thenRun(() -> {
            assertArrayEquals(data(key), dst.array(), "bytes of " + key);
            if (done != null) {
                done.incrementAndGet();
            }
        });
    }

    private static String hot(int i) {
        return "hot/object-" + i;
    }

    private static String cool(int i) {
        return "cool/object-" + i;
    }

    private static byte[] data(String key) {
        return S3TestSupport.bytes(SIZE, key.hashCode());
    }
}
