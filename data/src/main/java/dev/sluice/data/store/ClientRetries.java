package dev.sluice.data.store;

import java.time.Duration;
import software.amazon.awssdk.core.metrics.CoreMetric;
import software.amazon.awssdk.metrics.MetricCollection;
import software.amazon.awssdk.metrics.MetricPublisher;

/**
 * Counts the retries the S3 client makes by itself. The CRT retries a failed part once before
 * Sluice's {@link Retrier} sees a failure; the SDK reports each CRT request's {@code RetryCount}
 * through its metric publishers, published asynchronously shortly after the request ends.
 */
final class ClientRetries implements MetricPublisher {

    private long retries;

    @Override
    public void publish(MetricCollection metrics) {
        long n = count(metrics);
        if (n > 0) {
            synchronized (this) {
                retries += n;
                notifyAll();
            }
        }
    }

    private static long count(MetricCollection c) {
        long n = 0;
        for (Integer r : c.metricValues(CoreMetric.RETRY_COUNT)) {
            n += r;
        }
        for (MetricCollection child : c.children()) {
            n += count(child);
        }
        return n;
    }

    /** Retries counted so far. */
    synchronized long retries() {
        return retries;
    }

    /**
     * Waits until at least {@code n} retries were counted or {@code timeout} passed (the publisher
     * runs after the request's future completed); returns the count.
     */
    synchronized long await(long n, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (retries < n) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return retries;
    }

    @Override
    public void close() {
    }
}
