package dev.sluice.engine.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** {@link ThreadCpu} against the JVM's own per-thread CPU time for the same thread. */
class ThreadCpuTest {

    @Test
    void aThreadThatEndsDuringTheWatchIsCountedUnderItsRole() throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self/task")), "Linux /proc only");
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(mx.isThreadCpuTimeSupported());
        AtomicLong jvmNanos = new AtomicLong();
        ThreadCpu.Watch watch = new ThreadCpu.Watch(20);
        Thread spin = new Thread(() -> {
            long end = mx.getCurrentThreadCpuTime() + 300_000_000L;
            long x = 0;
            while (mx.getCurrentThreadCpuTime() < end) {
                x += System.nanoTime() & 1;
            }
            jvmNanos.set(mx.getCurrentThreadCpuTime() + (x & 0)); // what the JVM says this thread used
            try {
                Thread.sleep(100); // alive for a few more samples, then gone before stop()
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "sluice-shard-check");
        spin.start();
        spin.join();
        Map<String, Double> roles = watch.stop();
        double jvm = jvmNanos.get() / 1e9;
        assertEquals(jvm, roles.get("check"), 0.05 + 0.1 * jvm, "roles " + roles);
        assertTrue(roles.get("assemble") < 0.01, "no assembler ran: " + roles);
    }

    @Test
    void rolesFollowTheThreadNames() {
        assertEquals("s3-client", ThreadCpu.role("AwsEventLoop1"));
        assertEquals("server", ThreadCpu.role("s3-local-conn-3"));
        assertEquals("assemble", ThreadCpu.role("sluice-assembl")); // the kernel keeps 15 characters
        assertEquals("gc", ThreadCpu.role("G1 Conc#0"));
        assertEquals("jit", ThreadCpu.role("C2 CompilerThre"));
        assertEquals("other", ThreadCpu.role("pool-7-thread-1"));
    }
}
