package dev.sluice.data.store;

import com.adobe.testing.s3mock.junit5.S3MockExtension;
import java.time.Duration;
import java.util.SplittableRandom;

/**
 * Shared set-up of the S3 store tests: an in-process S3Mock, deterministic data, store options.
 * Public for the engine's S3 tests (data's test-jar).
 */
public final class S3TestSupport {

    static {
        // Never probe EC2 instance metadata from a test (region or credential chains).
        System.setProperty("aws.disableEc2Metadata", "true");
    }

    public static final String BUCKET = "sluice-test";

    private S3TestSupport() {}

    /** S3Mock on random ports (http and https), quiet, with {@link #BUCKET}. */
    public static S3MockExtension s3Mock() {
        // Spring Boot logs Tomcat through java.util.logging here (no Logback); its shutdown
        // warning about S3Mock's own worker threads says nothing about the code under test
        return S3MockExtension.builder().silent().withInitialBuckets(BUCKET)
                .withProperty("logging.level.org.apache.catalina", "error")
                .build();
    }

    /** Options for a server at {@code endpoint}: path-style, us-east-1, anonymous, quick retries. */
    public static StoreOptions options(String endpoint) {
        return StoreOptions.defaults()
                .withS3Endpoint(endpoint)
                .withRegion("us-east-1")
                .withAnonymous(true)
                .withRetry(new RetryPolicy(5, Duration.ofMillis(5), Duration.ofMillis(50), Duration.ofSeconds(10)));
    }

    /** {@code http://127.0.0.1:<S3Mock http port>}. */
    public static String endpoint(S3MockExtension s3) {
        return "http://127.0.0.1:" + s3.getHttpPort();
    }

    /** Deterministic pseudo-random bytes. */
    public static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < n; i += 8) {
            long v = r.nextLong();
            for (int j = 0; j < 8 && i + j < n; j++) {
                b[i + j] = (byte) (v >>> (8 * j));
            }
        }
        return b;
    }
}
