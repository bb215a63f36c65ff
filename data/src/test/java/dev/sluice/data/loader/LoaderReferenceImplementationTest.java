package dev.sluice.data.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.data.testing.ExternalProgram;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the Python reference implementation printed in docs/LOADER.md's appendix, exactly as the
 * document holds it, and compares what it prints with this implementation's order: the golden
 * digests {@link EpochOrderTest} pins are only as good as this independent program agreeing with
 * them. Needs python3 (fails, naming it, without).
 */
class LoaderReferenceImplementationTest {

    @TempDir
    Path tmp;

    @Test
    void theDocumentsPythonPrintsTheOrderTheJavaLoaderMakes() throws Exception {
        String doc = Files.readString(ExternalProgram.repositoryRoot().resolve("docs/LOADER.md"));
        int appendix = doc.indexOf("## Appendix: a reference implementation");
        assertTrue(appendix >= 0, "docs/LOADER.md has its reference implementation appendix");
        int start = doc.indexOf("```python\n", appendix) + "```python\n".length();
        int end = doc.indexOf("```", start);
        Path script = tmp.resolve("loader_reference.py");
        Files.writeString(script, doc.substring(start, end));

        List<String> lines = ExternalProgram.run("python3", "apt-get install python3", tmp, 300,
                List.of("python3", script.toString())).lines().toList();

        long[] shards = EpochOrderTest.SHARDS;
        assertEquals(Arrays.toString(new EpochPlan(shards, 2024, 3, true, Remainder.DROP, 4).shardOrder()),
                lines.get(0));
        assertEquals("drop   " + EpochOrderTest.sha256(EpochOrderTest.allRanks(shards, 2024, 3, 3, Remainder.DROP, 4)),
                lines.get(1));
        assertEquals("wrap   " + EpochOrderTest.sha256(EpochOrderTest.allRanks(shards, 2024, 3, 4, Remainder.WRAP, 2)),
                lines.get(2));
        assertEquals("uneven " + EpochOrderTest.sha256(EpochOrderTest.allRanks(shards, 2024, 3, 5, Remainder.UNEVEN, 3)),
                lines.get(3));
        LoaderState s = new LoaderState(2024, 3, List.of(new LoaderState.Segment(3, 300)));
        long[] r0 = EpochOrderTest.ids(shards, EpochOrderTest.cfg(2024, 0, 2, Remainder.DROP, 4), s);
        long[] r1 = EpochOrderTest.ids(shards, EpochOrderTest.cfg(2024, 1, 2, Remainder.DROP, 4), s);
        long[] both = Arrays.copyOf(r0, r0.length + r1.length);
        System.arraycopy(r1, 0, both, r0.length, r1.length);
        assertEquals("resume " + EpochOrderTest.sha256(both), lines.get(4));
        assertEquals(5, lines.size(), String.join("\n", lines));
    }
}
