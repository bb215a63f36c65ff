package dev.sluice.data.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

    @Test
    void backoffDoublesFromTheBaseUpToTheMaxWithJitterInTheUpperHalf() {
        RetryPolicy p = new RetryPolicy(10, Duration.ofMillis(100), Duration.ofMillis(1000), Duration.ofSeconds(1));
        long[] caps = {100, 200, 400, 800, 1000, 1000, 1000};
        for (int failed = 1; failed <= caps.length; failed++) {
            long cap = caps[failed - 1];
            assertEquals(Duration.ofMillis(cap / 2), p.backoff(failed, 0.0), "lowest draw after " + failed);
            assertEquals(Duration.ofMillis(cap), p.backoff(failed, 1.0), "highest draw after " + failed);
            Duration mid = p.backoff(failed, 0.5);
            assertTrue(mid.toMillis() >= cap / 2 && mid.toMillis() <= cap, mid.toString());
        }
        // no overflow however many failures
        assertEquals(Duration.ofMillis(1000), p.backoff(1_000, 1.0));
    }

    @Test
    void rejectsNonsense() {
        assertThrows(IllegalArgumentException.class,
                () -> new RetryPolicy(0, Duration.ZERO, Duration.ZERO, Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class,
                () -> new RetryPolicy(3, Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class,
                () -> new RetryPolicy(3, Duration.ZERO, Duration.ZERO, Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> RetryPolicy.defaults().backoff(0, 0.5));
        assertEquals(1, RetryPolicy.none().maxAttempts());
    }

    @Test
    void storeOptionsKeepDefaultsAndTheOriginalConstructor() {
        StoreOptions d = StoreOptions.defaults();
        assertEquals(8L << 20, d.partBytes());
        assertEquals(16, d.maxConcurrency());
        assertEquals(RetryPolicy.defaults(), d.retry());
        StoreOptions six = new StoreOptions("http://127.0.0.1:1", "eu-west-1", true, true, 1 << 20, 4);
        assertEquals(RetryPolicy.defaults(), six.retry());
        assertEquals(16L << 20, six.multipartThresholdBytes());
        assertTrue(StoreOptions.defaults().withS3Endpoint("http://127.0.0.1:1").pathStyle(),
                "an endpoint override implies path-style");
    }
}
