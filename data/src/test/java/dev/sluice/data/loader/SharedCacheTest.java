package dev.sluice.data.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.data.format.Dataset;
import dev.sluice.data.format.ShardInfo;
import dev.sluice.data.memory.DirectAllocator;
import dev.sluice.data.store.FaultInjectingProxy;
import dev.sluice.data.store.FileStore;
import dev.sluice.data.testing.SyntheticDatasets;
import dev.sluice.s3local.LocalS3Server;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Processes of one node sharing one shard cache directory ({@link CacheReaderProcess} in child JVMs)
 * against a real S3 server on 127.0.0.1 that counts the bytes it serves per object: each shard is
 * downloaded once per node, a process killed mid-download leaves nothing read as an entry, and
 * eviction leaves alone an entry another process is reading.
 */
class SharedCacheTest {

    static final String BUCKET = "node";
    static final String PREFIX = "ds";

    @TempDir
    static Path tmp;

    static LocalS3Server server;
    static Path source; // the dataset's files, which the server serves
    static List<ShardInfo> shards;
    static String reference; // the epoch's digest read straight from the files, no cache

    final List<Process> children = new ArrayList<>();

    @BeforeAll
    static void write() throws Exception {
        source = tmp.resolve("bucket").resolve(PREFIX);
        try (FileStore store = new FileStore(source)) {
            SyntheticDatasets.write(store, tmp.resolve("staging"), 600, 16, 16, 3, false, 40_000);
            Dataset ds = Dataset.open(store);
            shards = ds.manifest().split("train").shards();
            reference = CacheReaderProcess.epochDigest(ds, null);
        }
        assertTrue(shards.size() >= 8, "several shards: " + shards.size());
        assertTrue(shards.get(0).bytes() > 2 * CacheReaderProcess.PART_BYTES, "each shard is fetched in parts");
        server = LocalS3Server.start(tmp.resolve("bucket"), BUCKET);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @AfterEach
    void killChildren() {
        for (Process p : children) {
            p.destroyForcibly();
        }
    }

    static String location() {
        return "s3://" + BUCKET + "/" + PREFIX;
    }

    static String key(ShardInfo s) {
        return PREFIX + "/" + s.key();
    }

    static byte[] sourceBytes(ShardInfo s) throws IOException {
        return Files.readAllBytes(source.resolve(s.key()));
    }

    Process start(String... args) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:TieredStopAtLevel=1",
                "-Daws.disableEc2Metadata=true", "-cp", System.getProperty("java.class.path"),
                CacheReaderProcess.class.getName()));
        cmd.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
        Process p = pb.start();
        children.add(p);
        return p;
    }

    Process reader(String endpoint, Path cacheDir) throws IOException {
        return start("read", endpoint, location(), cacheDir.toString(), Long.toString(1L << 30));
    }

    /** What a reader printed, by first word; fails if it did not exit 0. */
    static Map<String, String> output(Process p) throws Exception {
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "reader process did not finish");
        assertEquals(0, p.exitValue(), "reader process failed; it printed: " + text);
        Map<String, String> lines = new HashMap<>();
        for (String line : text.split("\n")) {
            int sp = line.indexOf(' ');
            if (sp > 0) {
                lines.put(line.substring(0, sp), line.substring(sp + 1).trim());
            }
        }
        return lines;
    }

    static long[] sent() {
        return shards.stream().mapToLong(s -> server.bytesSent(key(s))).toArray();
    }

    @Test
    void twoProcessesDownloadEachShardOnceAndBothReadTheSourceBytes() throws Exception {
        Path cacheDir = tmp.resolve("cache-two");
        long[] before = sent();
        // this JVM, a third user of the directory, holds shard 0's claim as a downloader would, so
        // both children must meet an unfinished download and wait for it
        ShardCache here = new ShardCache(cacheDir, 1L << 30);
        ShardInfo first = shards.get(0);
        ShardCache.Lookup mine = here.readOrClaim(location(), first, ByteBuffer.allocateDirect((int) first.bytes()));
        assertFalse(mine.hit());
        assertNotNull(mine.claim());
        Process a = reader(server.endpoint(), cacheDir);
        Process b = reader(server.endpoint(), cacheDir);
        // the children got past shard 0's lookup once shard 1 is on its way to one of them
        String k1 = key(shards.get(1));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (server.bytesSent(k1) == before[1] && System.nanoTime() < deadline && a.isAlive() && b.isAlive()) {
            TimeUnit.MILLISECONDS.sleep(20); // an outside process's progress has no latch to wait on
        }
        assertTrue(a.isAlive() && b.isAlive(), "both children wait for shard 0");
        // "download" shard 0: the source bytes (what a verified download holds), then let go
        mine.claim().fill(ByteBuffer.wrap(sourceBytes(first)));
        mine.claim().close();

        Map<String, String> outA = output(a);
        Map<String, String> outB = output(b);
        assertEquals(reference, outA.get("sha256"), "process A read the source's bytes");
        assertEquals(reference, outB.get("sha256"), "process B read the source's bytes");
        long[] after = sent();
        assertEquals(0, after[0] - before[0], "shard 0 came from the entry this JVM filled, to both");
        for (int s = 1; s < shards.size(); s++) {
            assertEquals(shards.get(s).bytes(), after[s] - before[s],
                    "shard " + s + " was served exactly once in all (bytes sent for " + key(shards.get(s)) + ")");
        }
        // between them the children filled every other entry once
        long fills = fills(outA) + fills(outB);
        assertEquals(shards.size() - 1, fills, "fills: A " + outA.get("cache") + ", B " + outB.get("cache"));
        for (ShardInfo s : shards) {
            assertArrayEquals(sourceBytes(s), Files.readAllBytes(here.entry(location(), s)), s.key());
        }
        assertEquals(List.of(), parts(cacheDir), "no temporary files left");
    }

    @Test
    void aProcessKilledMidDownloadLeavesNothingTheNextReadsAsValid() throws Exception {
        Path cacheDir = tmp.resolve("cache-kill");
        ShardCache here = new ShardCache(cacheDir, 1L << 30);
        ShardInfo first = shards.get(0);
        Path entry0 = here.entry(location(), first);
        long id0 = ShardCache.id(entry0);
        try (FaultInjectingProxy proxy = new FaultInjectingProxy(server.port(), Duration.ofSeconds(60),
                Duration.ofMinutes(3))) {
            proxy.holdStalls();
            // the first GET of shard 0 sends its first bytes, then stalls: the download is under way
            proxy.inject("GET", "/" + key(first), FaultInjectingProxy.Fault.STALL);
            Process a = reader(proxy.endpoint().toString(), cacheDir);
            assertTrue(proxy.awaitStallStarted(Duration.ofSeconds(60)), "process A started downloading shard 0");
            assertNull(CacheLocks.of(here.dir()).tryClaim(id0), "process A holds shard 0's claim while downloading");
            // what a filler killed while writing its entry would leave
            Path stale = cacheDir.resolve(entry0.getFileName() + ".part-" + UUID.randomUUID());
            byte[] half = Arrays.copyOf(sourceBytes(first), (int) first.bytes() / 2);
            Files.write(stale, half);

            a.destroyForcibly();
            assertTrue(a.waitFor(30, TimeUnit.SECONDS));
            proxy.releaseStalls();
        }
        assertFalse(Files.exists(entry0), "no entry for the shard whose download was killed");
        try (CacheLocks.Claim c = CacheLocks.of(here.dir()).tryClaim(id0)) {
            assertNotNull(c, "the kernel let go of the killed process's claim");
        }
        long before = server.bytesSent(key(first));
        Map<String, String> out = output(reader(server.endpoint(), cacheDir));
        assertEquals(reference, out.get("sha256"), "the next process read the source's bytes");
        assertEquals(first.bytes(), server.bytesSent(key(first)) - before, "it downloaded shard 0 itself");
        assertArrayEquals(sourceBytes(first), Files.readAllBytes(entry0), "and filled its entry");
        assertEquals(List.of(), parts(cacheDir), "the dead process's temporary file was deleted");
    }

    @Test
    void evictionLeavesAnEntryAnotherProcessIsReading() throws Exception {
        try (FileStore store = new FileStore(source)) {
            Dataset ds = Dataset.open(store);
            String loc = store.location();
            long budget = 2 * ds.manifest().split("train").maxShardBytes();
            // an epoch through a cache of two shards' room reads the right bytes
            assertEquals(reference, CacheReaderProcess.epochDigest(ds, new ShardCache(tmp.resolve("cache-epoch"),
                    budget)));
            // which two shards an epoch leaves cached, and in which order they were last used, depends
            // on how its parallel fetches finished; so set both up here: two entries, the older one
            // last used two seconds ago, the other one second ago (file times have millisecond steps)
            ShardCache cache = new ShardCache(tmp.resolve("cache-evict"), budget);
            ShardInfo read = shards.get(shards.size() - 2);
            ShardInfo newer = shards.get(shards.size() - 1);
            fillFromSource(cache, loc, read);
            fillFromSource(cache, loc, newer);
            long now = System.currentTimeMillis();
            Path entry = cache.entry(loc, read);
            Files.setLastModifiedTime(entry, java.nio.file.attribute.FileTime.fromMillis(now - 2000));
            Files.setLastModifiedTime(cache.entry(loc, newer), java.nio.file.attribute.FileTime.fromMillis(now - 1000));
            // another process now reads the older one
            Process reader = start("pin", cache.dir().toString(), entry.getFileName().toString());
            assertEquals("pinned", new String(reader.getInputStream().readNBytes(6), StandardCharsets.US_ASCII));

            // three new entries: least recently used first, the entry being read would go first
            long evicted = cache.evictions();
            for (int s = 0; s < 3; s++) {
                fillFromSource(cache, loc, shards.get(s));
            }
            assertEquals(3, cache.evictions() - evicted, "evicted the others to make room");
            assertArrayEquals(sourceBytes(read), Files.readAllBytes(entry), "the entry being read is still there");
            assertFalse(Files.exists(cache.entry(loc, shards.get(1))),
                    "shard 1, used more recently than the entry being read, went in its place");

            reader.getOutputStream().close(); // the reader is done
            assertTrue(reader.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, reader.exitValue());
            fillFromSource(cache, loc, shards.get(3));
            assertFalse(Files.exists(entry), "evicted once nobody reads it");
            assertTrue(cache.sizeOnDisk() <= budget, "back within budget: " + cache.sizeOnDisk());
        }
    }

    @Test
    void twoProcessesWaitingForEachOthersClaimsBothGetThem() throws Exception {
        // process "child" holds X and waits for Y; this JVM holds Y and waits for X: the kernel sees
        // a cycle of processes and reports a deadlock, though each holder's other thread lets go
        ShardCache cache = new ShardCache(tmp.resolve("cache-cross"), 1L << 30);
        CacheLocks locks = CacheLocks.of(cache.dir());
        Path x = cache.entry(location(), shards.get(0));
        Path y = cache.entry(location(), shards.get(1));
        long reportsBefore = locks.deadlockReports();
        CacheLocks.Claim holdY = locks.tryClaim(ShardCache.id(y));
        assertNotNull(holdY);
        Process child = start("hold", cache.dir().toString(), x.getFileName().toString(),
                y.getFileName().toString());
        assertEquals("holding\n", new String(child.getInputStream().readNBytes(8), StandardCharsets.US_ASCII));
        CompletableFuture<CacheLocks.Claim> waitX = CompletableFuture.supplyAsync(() -> {
                    try {
                        return locks.claim(ShardCache.id(x));
                    } catch (IOException | InterruptedException e) {
                        throw new CompletionException(e);
                    }
                });
        // both waits are in the kernel well within this (the child's began before it printed)
        TimeUnit.MILLISECONDS.sleep(500);
        assertFalse(waitX.isDone(), "X is still the child's");
        holdY.close(); // this JVM's download of Y is done
        String rest = new String(child.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        assertTrue(rest.startsWith("got\nreports "), rest);
        long childReports = Long.parseLong(rest.substring("got\nreports ".length()).trim());
        try (CacheLocks.Claim gotX = waitX.get(30, TimeUnit.SECONDS)) {
            assertNotNull(gotX, "the claim of X came once the child let go");
        }
        assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, child.exitValue());
        // to whichever process asked second
        assertTrue(locks.deadlockReports() - reportsBefore + childReports > 0,
                "the kernel did report the cycle as a deadlock");
    }

    @Test
    void evictionLeavesAnEntryAThreadOfThisProcessIsReading() throws Exception {
        try (FileStore store = new FileStore(source)) {
            Dataset ds = Dataset.open(store);
            String loc = store.location();
            long budget = 2 * ds.manifest().split("train").maxShardBytes();
            Path dir = tmp.resolve("cache-evict-here");
            // two caches on one directory in one JVM, as two loaders of one process would have
            ShardCache first = new ShardCache(dir, budget);
            ShardCache second = new ShardCache(dir, budget);
            fillFromSource(first, loc, shards.get(0));
            Path entry = first.entry(loc, shards.get(0));
            try (CacheLocks.Pin reading = CacheLocks.of(first.dir()).pin(ShardCache.id(entry))) {
                for (int s = 1; s <= 3; s++) {
                    fillFromSource(second, loc, shards.get(s));
                }
                assertArrayEquals(sourceBytes(shards.get(0)), Files.readAllBytes(entry), "still there while read");
                assertFalse(Files.exists(second.entry(loc, shards.get(1))), "shard 1 went in its place");
            }
            fillFromSource(second, loc, shards.get(4));
            assertFalse(Files.exists(entry), "evicted once nobody reads it");
            assertTrue(second.sizeOnDisk() <= budget);
        }
    }

    /** Fills a shard's entry with its source bytes, through a claim, as a download would. */
    static void fillFromSource(ShardCache cache, String loc, ShardInfo s) throws Exception {
        ShardCache.Lookup l = cache.readOrClaim(loc, s, ByteBuffer.allocateDirect((int) s.bytes()));
        assertFalse(l.hit(), s.key() + " was not cached");
        try (ShardCache.Claim c = l.claim()) {
            c.fill(ByteBuffer.wrap(sourceBytes(s)));
        }
    }

    static long fills(Map<String, String> out) {
        return Long.parseLong(out.get("cache").split(" ")[2]);
    }

    static List<Path> parts(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().contains(".part-")).toList();
        }
    }
}
