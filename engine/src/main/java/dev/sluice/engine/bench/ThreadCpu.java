package dev.sluice.engine.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CPU time of this process's live threads by role (the store client's I/O threads, the loader's
 * check and assembly threads, a local S3 server, GC and JIT...), from Linux's per-thread
 * {@code /proc/self/task/<tid>/schedstat} (nanoseconds on the CPU) and {@code comm} (the thread's
 * name, which also names native threads such as the CRT's event loops that the JVM's thread
 * beans do not see). Empty where there is no {@code /proc}.
 */
final class ThreadCpu {

    private static final Path TASKS = Path.of("/proc/self/task");

    private ThreadCpu() {
    }

    /** Per-thread CPU nanoseconds now, keyed by thread id, each with its role. */
    static Map<String, Sample> snapshot() {
        return snapshot(new java.util.HashMap<>(), false);
    }

    /**
     * Like {@link #snapshot()}; {@code roles} caches each thread id's role (a thread's name is read
     * once), and {@code onlyShortLived} reads only the loader's threads, the ones that may end
     * before a pass does, which keeps a frequent sample down to a few reads.
     */
    static Map<String, Sample> snapshot(Map<String, String> roles, boolean onlyShortLived) {
        Map<String, Sample> out = new LinkedHashMap<>();
        if (!Files.isDirectory(TASKS)) {
            return out;
        }
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(TASKS)) {
            for (Path t : tasks) {
                try {
                    String tid = t.getFileName().toString();
                    String role = roles.get(tid);
                    if (role == null) {
                        String comm = Files.readString(t.resolve("comm")).trim();
                        role = role(comm);
                        if (!comm.equals("java")) {
                            // a new thread has its parent's name until it names itself: look again later
                            roles.put(tid, role);
                        }
                    }
                    if (onlyShortLived && !SHORT_LIVED.contains(role)) {
                        continue;
                    }
                    String stat = Files.readString(t.resolve("schedstat")).trim();
                    long ns = Long.parseLong(stat.substring(0, stat.indexOf(' ')));
                    out.put(tid, new Sample(role, ns));
                } catch (IOException | RuntimeException gone) {
                    // the thread ended while we looked: its time shows in the "unseen" share
                }
            }
        } catch (IOException e) {
            return new LinkedHashMap<>();
        }
        return out;
    }

    /** Roles of threads that a loader starts per epoch and that end with it. */
    private static final java.util.Set<String> SHORT_LIVED = java.util.Set.of("check", "assemble", "requests");

    /** One thread's role and CPU nanoseconds so far. */
    record Sample(String role, long nanos) {}

    /**
     * Watches the threads during a pass: a snapshot now, then every {@code periodMillis} on a
     * daemon thread, keeping each thread's latest time, so that threads which end before the pass
     * does (a loader's stream threads) are counted up to their last sample.
     */
    static final class Watch implements AutoCloseable {
        private final Map<String, String> roles = new java.util.HashMap<>(); // used by the sampler only
        private final Map<String, Sample> start = snapshot(roles, false);
        private final Map<String, Sample> latest = new java.util.concurrent.ConcurrentHashMap<>(start);
        private final Thread sampler;
        private volatile boolean stopped;

        Watch(long periodMillis) {
            sampler = new Thread(() -> {
                while (!stopped) {
                    latest.putAll(snapshot(roles, true));
                    try {
                        Thread.sleep(periodMillis); // a fixed sampling period, not a wait for a condition
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "bench-cpu-watch");
            sampler.setDaemon(true);
            sampler.start();
        }

        /** Takes a last snapshot and returns CPU seconds by role since the watch started. */
        Map<String, Double> stop() {
            stopped = true;
            sampler.interrupt();
            try {
                sampler.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            latest.putAll(snapshot());
            Map<String, Double> roles = delta(start, latest);
            roles.remove("bench"); // the watch itself
            return roles;
        }

        @Override
        public void close() {
            stopped = true;
            sampler.interrupt();
        }
    }

    /**
     * CPU seconds by role between two snapshots; threads that started in between count from zero.
     * Time of threads that ended in between is not seen here (the caller compares with the process total).
     */
    static Map<String, Double> delta(Map<String, Sample> before, Map<String, Sample> after) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String role : ROLES) {
            out.put(role, 0.0);
        }
        for (Map.Entry<String, Sample> e : after.entrySet()) {
            Sample b = before.get(e.getKey());
            long ns = e.getValue().nanos() - (b == null ? 0 : b.nanos());
            out.merge(e.getValue().role(), ns / 1e9, Double::sum);
        }
        return out;
    }

    /** Roles in the order they are printed. */
    static final String[] ROLES = {"s3-client", "server", "check", "assemble", "requests", "consumer", "gc", "jit",
            "other"};

    /** The role of a thread, from its name as the kernel keeps it (at most 15 characters). */
    static String role(String comm) {
        if (comm.startsWith("AwsEventLoop") || comm.startsWith("sdk-async") || comm.startsWith("AwsHost")
                || comm.startsWith("sluice-s3-timer")) {
            return "s3-client";
        }
        if (comm.startsWith("bench-cpu-watch")) {
            return "bench";
        }
        if (comm.startsWith("s3-local")) {
            return "server";
        }
        if (comm.startsWith("sluice-shard-ch")) {
            return "check";
        }
        if (comm.startsWith("sluice-assembl")) {
            return "assemble";
        }
        if (comm.startsWith("sluice-prefetc")) {
            return "requests";
        }
        if (comm.equals("main") || comm.equals("java")) {
            return "consumer";
        }
        if (comm.startsWith("C1 ") || comm.startsWith("C2 ")) {
            return "jit";
        }
        if (comm.startsWith("GC ") || comm.startsWith("G1 ") || comm.startsWith("VM ")) {
            return "gc";
        }
        return "other";
    }
}
