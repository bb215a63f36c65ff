package dev.sluice.data.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.data.format.Dataset;
import dev.sluice.data.format.Manifest;
import dev.sluice.data.format.ShardInfo;
import dev.sluice.data.store.FileStore;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 50,000 image files: the ingest runs in a child JVM whose heap and direct memory are capped far
 * below what holding every file or path would need, and an ingest killed with SIGKILL half-way then
 * rerun with --resume gives the same shards as one that was never interrupted.
 */
class LargeImageFolderTest {

    static final int CLASSES = 50;
    static final int PER_CLASS = 1000;
    static final int FILES = CLASSES * PER_CLASS;
    /** The memory bound of the child JVM. */
    static final String HEAP = "-Xmx40m";
    static final String DIRECT = "-XX:MaxDirectMemorySize=16m";
    static final long SHARD_BYTES = 1 << 20;

    @TempDir
    static Path tmp;

    static Path src;
    static byte[][] jpegs;

    @BeforeAll
    static void generate() throws IOException {
        src = tmp.resolve("images");
        jpegs = new byte[7][];
        Path[] originals = new Path[jpegs.length];
        Path o = Files.createDirectories(tmp.resolve("originals"));
        for (int i = 0; i < jpegs.length; i++) {
            jpegs[i] = TestImages.encode("jpeg", 12 + i, 10, i);
            originals[i] = Files.write(o.resolve(i + ".jpg"), jpegs[i]);
        }
        // hard links: creating 50,000 directory entries is ~20x faster than writing 50,000 files
        for (int c = 0; c < CLASSES; c++) {
            Path d = Files.createDirectories(src.resolve(String.format("n%08d", c)));
            for (int i = 0; i < PER_CLASS; i++) {
                Path f = d.resolve(String.format("%05d.JPEG", i));
                try {
                    Files.createLink(f, originals[(c + i) % jpegs.length]);
                } catch (UnsupportedOperationException e) {
                    Files.write(f, jpegs[(c + i) % jpegs.length]);
                }
            }
        }
    }

    static Process start(Path out, boolean resume) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, HEAP, DIRECT, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-Djava.awt.headless=true", "-cp", System.getProperty("java.class.path"), IngestProcess.class.getName(),
                src.toString(), out.toString(), tmp.resolve("staging-" + out.getFileName()).toString(),
                Long.toString(SHARD_BYTES), Boolean.toString(resume));
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        return pb.start();
    }

    /** Runs a child to the end and returns its last line. */
    static String finish(Process p) throws Exception {
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String l; (l = r.readLine()) != null; ) {
                lines.add(l);
            }
        }
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "child ingest failed; it printed " + lines);
        return lines.get(lines.size() - 1);
    }

    static List<String> describe(Manifest m) {
        // keys differ between runs (run id); samples, sizes and checksums must not
        return m.split("train").shards().stream().map(s -> s.samples() + "/" + s.bytes() + "/" + s.crc32cHex()).toList();
    }

    @Test
    void boundedMemoryAndKilledThenResumedEqualsUninterrupted() throws Exception {
        Path whole = tmp.resolve("whole");
        assertEquals("done 0 0", finish(start(whole, false)), "all files ingest within " + HEAP + " " + DIRECT);

        Path killed = tmp.resolve("killed");
        Process p = start(killed, false);
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String l; (l = r.readLine()) != null; ) {
                if (l.startsWith("progress ") && Long.parseLong(l.substring(9)) >= FILES / 2) {
                    break;
                }
            }
            p.destroyForcibly(); // SIGKILL: no shutdown hooks, no cleanup
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        }
        assertTrue(Files.exists(killed.resolve(IngestJournal.KEY)), "the killed ingest left its journal");
        assertFalse(Files.exists(killed.resolve(Manifest.KEY)), "and no manifest");
        String resumed = finish(start(killed, true));
        assertTrue(resumed.startsWith("done ") && !resumed.startsWith("done 0 "), "shards were kept: " + resumed);

        try (FileStore a = new FileStore(whole); FileStore b = new FileStore(killed)) {
            Dataset da = Dataset.open(a);
            Dataset db = Dataset.open(b);
            assertEquals(FILES, db.manifest().split("train").samples());
            assertEquals(describe(da.manifest()), describe(db.manifest()));
            assertFalse(Files.exists(killed.resolve(IngestJournal.KEY)), "journal deleted at commit");
            // no orphan shards: every object is the manifest or a shard it names
            List<String> named = new ArrayList<>(db.manifest().split("train").shards().stream().map(ShardInfo::key).toList());
            named.add(Manifest.KEY);
            assertEquals(named.stream().sorted().toList(), ImageFolderIngestTest.keys(killed).stream()
                    .filter(k -> !k.startsWith(".sluice-staging")).toList());
            // samples equal their source files (independent of the first run)
            for (int i = 0; i < FILES; i += 997) {
                int c = i / PER_CLASS;
                int k = i % PER_CLASS;
                assertArrayEquals(jpegs[(c + k) % jpegs.length], ImageFolderIngestTest.bytes(db.readValue("train", i, 0)));
            }
        }
    }
}
