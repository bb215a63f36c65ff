package dev.sluice.engine.collective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.sluice.engine.cli.Main;
import dev.sluice.nccl.NcclAvailability;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code train.jar bench allreduce}: the CPU collectives against memcpy in the same run, one JSON
 * object per line with --json, and the NCCL part either measured (nccl-tests' bus bandwidth) or
 * skipped with one line saying why.
 */
class BenchAllReduceCommandTest {

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        String lib = System.getenv("SLUICE_NCCL_LIB"); // load NCCL the way every test in this JVM does
        if (lib != null && !lib.isBlank()) {
            all.add("--nccl-lib");
            all.add(lib);
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(all.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void jsonLinesCompareEachCpuCollectiveWithMemcpyAndReportNccl() {
        Run r = run("bench", "allreduce", "--ranks", "3", "--sizes", "1MB,2MB", "--warmup", "1", "--iterations", "2",
                "--nccl-sizes", "1MB,4MB", "--json");
        assertEquals(0, r.code(), r.out() + r.err());
        List<JsonObject> lines = r.out().lines().map(l -> JsonParser.parseString(l).getAsJsonObject()).toList();
        for (String transport : List.of("in-process", "tcp")) {
            List<JsonObject> points = lines.stream().filter(o -> o.get("transport").getAsString().equals(transport)
                    && o.get("mode").getAsString().equals("size")).toList();
            assertEquals(2, points.size(), transport + ": " + r.out());
            assertEquals(1 << 20, points.get(0).get("bytes").getAsInt());
            assertEquals(2 << 20, points.get(1).get("bytes").getAsInt());
            for (JsonObject p : points) {
                assertEquals("allreduce", p.get("bench").getAsString());
                assertEquals(3, p.get("ranks").getAsInt());
                double alg = p.get("algbw_gbps").getAsDouble();
                double bus = p.get("busbw_gbps").getAsDouble();
                double memcpy = p.get("memcpy_gbps").getAsDouble();
                assertTrue(alg > 0 && memcpy > 0, p.toString());
                assertEquals(alg * 2 * 2 / 3, bus, 1e-9 * bus, "busbw = algbw x 2(n-1)/n");
                assertEquals(bus / memcpy, p.get("busbw_over_memcpy").getAsDouble(), 1e-9, p.toString());
                assertEquals(p.get("bytes").getAsDouble() / p.get("seconds_per_call").getAsDouble() / 1e9, alg,
                        1e-9 * alg, "algbw = bytes / time");
            }
            JsonObject summary = lines.stream().filter(o -> o.get("transport").getAsString().equals(transport)
                    && o.get("mode").getAsString().equals("summary")).findFirst().orElseThrow();
            assertEquals(points.get(1).get("busbw_over_memcpy").getAsDouble(), summary.get("ratio").getAsDouble());
        }

        NcclAvailability nccl = NcclCollective.availability(TestNccl.options());
        List<JsonObject> ncclLines = lines.stream().filter(o -> o.get("transport").getAsString().equals("nccl"))
                .toList();
        if (!nccl.available()) {
            assertEquals(1, ncclLines.size(), r.out());
            assertTrue(ncclLines.get(0).get("skipped").getAsBoolean());
            assertEquals(nccl.message().lines().findFirst().orElseThrow().strip(),
                    ncclLines.get(0).get("reason").getAsString());
        } else {
            assertEquals(2, ncclLines.size(), r.out());
            for (JsonObject p : ncclLines) {
                int n = p.get("ranks").getAsInt();
                double alg = p.get("algbw_gbps").getAsDouble();
                assertTrue(alg > 0, p.toString());
                assertEquals(alg * 2 * (n - 1) / n, p.get("busbw_gbps").getAsDouble(), 1e-9 * alg);
            }
        }
    }

    @Test
    void textOutputSaysInOneLineWhyNcclWasSkipped() {
        Run r = run("bench", "allreduce", "--transport", "in-process", "--ranks", "2", "--sizes", "1MB",
                "--warmup", "0", "--iterations", "1", "--nccl-sizes", "1MB");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("all-reduce, in-process, 2 ranks"), r.out());
        assertTrue(r.out().contains("busbw/memcpy"), r.out());
        NcclAvailability nccl = NcclCollective.availability(TestNccl.options());
        long skipLines = r.out().lines().filter(l -> l.startsWith("nccl: skipped: ")).count();
        assertEquals(nccl.available() ? 0 : 1, skipLines, r.out());
        if (nccl.available()) {
            assertTrue(r.out().contains("all-reduce, nccl over"), r.out());
        }
    }

    @Test
    void badOptionsAreUsageErrors() {
        Run r = run("bench", "allreduce", "--transport", "carrier-pigeon");
        assertEquals(Main.USAGE, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("--transport"), r.err());
        r = run("bench", "allreduce", "--sizes", "1001", "--no-nccl");
        assertEquals(Main.USAGE, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("multiple of 4"), r.err());
    }
}
