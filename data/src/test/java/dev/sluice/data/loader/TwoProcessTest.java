package dev.sluice.data.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.data.format.Dataset;
import dev.sluice.data.store.FileStore;
import dev.sluice.data.testing.SyntheticDatasets;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ranks as separate OS processes (a second JVM per rank, {@link RankProcess}) agree with each other
 * and with this JVM: exactly once per epoch across the processes, the same order in every run, and
 * a state printed by one process resumes elsewhere on another number of ranks.
 */
class TwoProcessTest {

    static final int N = 1000;
    static final long SEED = 31;

    @TempDir
    static Path tmp;

    static Path dir;

    @BeforeAll
    static void write() throws IOException {
        dir = tmp.resolve("ds");
        try (FileStore store = new FileStore(dir)) {
            SyntheticDatasets.write(store, tmp, N, 4, 4, 3, false, 4_000);
        }
    }

    /** What one rank process printed. */
    record Seen(long[] ids, String sha256, LoaderState state) {}

    /** Starts one process per rank at once and collects what each printed. */
    static List<Seen> ranks(int world, int batch, int maxBatches, LoaderState state) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<Process> procs = new ArrayList<>();
        for (int r = 0; r < world; r++) {
            ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-XX:TieredStopAtLevel=1",
                    "-cp", System.getProperty("java.class.path"), RankProcess.class.getName(), dir.toString(),
                    Integer.toString(r), Integer.toString(world), Long.toString(SEED), Integer.toString(batch),
                    Integer.toString(maxBatches), state.toJson());
            pb.redirectError(ProcessBuilder.Redirect.INHERIT);
            procs.add(pb.start());
        }
        List<Seen> out = new ArrayList<>();
        for (int r = 0; r < world; r++) {
            Process p = procs.get(r);
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "rank process " + r + " did not finish");
            assertEquals(0, p.exitValue(), "rank process " + r + " failed; it printed: " + text);
            Map<String, String> lines = new HashMap<>();
            for (String line : text.split("\n")) {
                int sp = line.indexOf(' ');
                if (sp > 0) {
                    lines.put(line.substring(0, sp), line.substring(sp + 1).trim());
                }
            }
            String ids = lines.getOrDefault("ids", "");
            long[] arr = ids.isEmpty() ? new long[0] : Arrays.stream(ids.split(",")).mapToLong(Long::parseLong).toArray();
            out.add(new Seen(arr, lines.get("sha256"), LoaderState.fromJson(lines.get("state"))));
        }
        return out;
    }

    static long[] counts(List<long[]> parts) {
        long[] c = new long[N];
        for (long[] p : parts) {
            for (long id : p) {
                c[(int) id]++;
            }
        }
        return c;
    }

    @Test
    void twoProcessesSplitTheEpochExactlyOnceAndAgreeWithThisJvm() throws Exception {
        List<Seen> seen = ranks(2, 25, Integer.MAX_VALUE, LoaderState.start(SEED, 0));
        long[] c = counts(List.of(seen.get(0).ids(), seen.get(1).ids()));
        assertEquals(N / 2, seen.get(0).ids().length);
        assertEquals(N / 2, seen.get(1).ids().length);
        assertTrue(Arrays.stream(c).allMatch(x -> x == 1), "exactly once across the two processes");
        assertEquals(seen.get(0).state(), seen.get(1).state(), "lockstep ranks print the same state");
        assertEquals(N, seen.get(0).state().consumed());
        // the same order in this JVM, from the index alone and through a loader
        try (FileStore store = new FileStore(dir)) {
            Dataset ds = Dataset.open(store);
            long[] shards = ds.manifest().split("train").shards().stream().mapToLong(s -> s.samples()).toArray();
            for (int r = 0; r < 2; r++) {
                LoaderConfig cfg = LoaderConfig.training("train", 25, SEED).withRank(r, 2).withDropLast(false);
                long[] here = EpochOrder.sampleIds(shards, cfg, LoaderState.start(SEED, 0));
                assertArrayEquals(here, seen.get(r).ids(), "rank " + r + ": same order in another JVM");
                assertEquals(EpochOrderTest.sha256(here), seen.get(r).sha256());
                long[] loaded = LoaderTest.epochOf(ds, cfg, LoaderState.start(SEED, 0), null).stream()
                        .mapToLong(Long::longValue).toArray();
                assertArrayEquals(here, loaded);
            }
        }
    }

    @Test
    void aStateFromTwoProcessesResumesOnThreeWithoutRepeatsOrGaps() throws Exception {
        // two processes stop after 7 batches of 20 and print their state...
        List<Seen> first = ranks(2, 20, 7, LoaderState.start(SEED, 1));
        assertEquals(first.get(0).state(), first.get(1).state());
        LoaderState saved = first.get(0).state();
        assertEquals(280, saved.consumed());
        // ...which a second run of the same two processes continues identically (determinism)...
        List<Seen> again = ranks(2, 20, 7, LoaderState.start(SEED, 1));
        for (int r = 0; r < 2; r++) {
            assertArrayEquals(first.get(r).ids(), again.get(r).ids(), "rank " + r + ": same order in another run");
        }
        // ...and three ranks in this JVM finish the epoch from that state
        List<long[]> parts = new ArrayList<>(List.of(first.get(0).ids(), first.get(1).ids()));
        try (FileStore store = new FileStore(dir)) {
            Dataset ds = Dataset.open(store);
            for (int r = 0; r < 3; r++) {
                LoaderConfig cfg = LoaderConfig.training("train", 20, SEED).withRank(r, 3).withDropLast(false);
                parts.add(LoaderTest.epochOf(ds, cfg, saved, null).stream().mapToLong(Long::longValue).toArray());
            }
        }
        long[] c = counts(parts);
        // 720 left on 3 ranks: 240 each, nothing dropped
        assertTrue(Arrays.stream(c).allMatch(x -> x == 1), "exactly once across 2 processes then 3 ranks");
    }
}
