package dev.sluice.engine.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.sluice.engine.bench.AllReduceBenchmark.Options;
import dev.sluice.engine.bench.AllReduceBenchmark.Point;
import dev.sluice.engine.bench.AllReduceBenchmark.Result;
import dev.sluice.engine.bench.AllReduceBenchmark.Transport;

class AllReduceBenchmarkTest {

    @Test
    void busBandwidthFollowsNcclTests() {
        assertEquals(10.0, AllReduceBenchmark.busBandwidth(10.0, 2), 1e-12);
        assertEquals(15.0, AllReduceBenchmark.busBandwidth(10.0, 4), 1e-12);
        assertEquals(17.5, AllReduceBenchmark.busBandwidth(10.0, 8), 1e-12);
        assertEquals(0.0, AllReduceBenchmark.busBandwidth(10.0, 1), 1e-12);
    }

    private static void checkConsistent(Result r, Options o) {
        assertEquals(o.transport(), r.transport());
        assertEquals(o.ranks(), r.ranks());
        assertEquals(o.sizes().size(), r.points().size());
        for (int i = 0; i < r.points().size(); i++) {
            Point p = r.points().get(i);
            assertEquals(o.sizes().get(i), p.bytes());
            assertEquals(o.iterations(), p.iterations());
            assertTrue(p.secondsPerCall() > 0 && Double.isFinite(p.secondsPerCall()), p.toString());
            assertEquals(p.bytes() / p.secondsPerCall() / 1e9, p.algorithmGBps(), 1e-9 * p.algorithmGBps());
            assertEquals(AllReduceBenchmark.busBandwidth(p.algorithmGBps(), o.ranks()), p.busGBps(), 1e-12);
            assertTrue(p.memcpyGBps() > 0 && Double.isFinite(p.memcpyGBps()), p.toString());
            assertEquals(p.busGBps() / p.memcpyGBps(), p.busOverMemcpy(), 1e-12);
        }
    }

    @Test
    void inProcessRunReportsEverySize() throws Exception {
        Options o = new Options(Transport.IN_PROCESS, 3, List.of(1 << 20, 2 << 20), 1, 3);
        Result r = AllReduceBenchmark.run(o);
        checkConsistent(r, o);
        assertTrue(r.description().startsWith("in-process"), r.description());
    }

    @Test
    void tcpLoopbackRunReportsEverySize() throws Exception {
        Options o = new Options(Transport.TCP_LOOPBACK, 2, List.of(1 << 20), 1, 3);
        Result r = AllReduceBenchmark.run(o);
        checkConsistent(r, o);
        assertTrue(r.description().startsWith("tcp ring"), r.description());
    }

    @Test
    void defaultsCoverOneToTwoHundredFiftySixMegabytes() {
        Options o = Options.defaults(Transport.IN_PROCESS, 2);
        assertEquals(1 << 20, o.sizes().get(0));
        assertEquals(256 << 20, o.sizes().get(o.sizes().size() - 1));
        assertThrows(IllegalArgumentException.class, () -> new Options(Transport.IN_PROCESS, 2, List.of(6), 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new Options(Transport.IN_PROCESS, 0, List.of(8), 0, 1));
    }
}
