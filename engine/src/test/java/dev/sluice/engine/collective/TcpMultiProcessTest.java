package dev.sluice.engine.collective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.sluice.engine.collective.CollectiveException.Reason;

/** Two real OS processes: this JVM is rank 0, a child JVM ({@link TcpPeerProcess}) is rank 1. */
class TcpMultiProcessTest {

    private static Process spawn(int port, String mode) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                TcpPeerProcess.class.getName(), Integer.toString(port), mode);
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        return pb.start();
    }

    private static TcpOptions rankZero() {
        return TcpOptions.of("127.0.0.1", 0, 0, 2).withRendezvousTimeout(Duration.ofSeconds(30))
                .withOperationTimeout(Duration.ofSeconds(60));
    }

    @Test
    void twoProcessesAllReduceToTheSameBits() throws Exception {
        Process child;
        TcpCollective c;
        try (TcpCollective.Master master = TcpCollective.listen(rankZero())) {
            child = spawn(master.port(), "allreduce");
            c = master.awaitPeers();
        }
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            ByteBuffer exact = TcpPeerProcess.exactInput(0);
            c.allReduce(exact, ElementType.FLOAT32, ReduceOp.SUM);
            for (int i = 0; i < TcpPeerProcess.COUNT; i++) {
                assertEquals(CollectiveContractTest.value(0, i) + CollectiveContractTest.value(1, i),
                        exact.getFloat(4 * i), "element " + i);
            }
            ByteBuffer random = TcpPeerProcess.randomInput(0);
            c.allReduce(random, ElementType.FLOAT32, ReduceOp.AVG);
            String line = out.readLine();
            assertEquals("DIGEST " + TcpPeerProcess.digest(random), line,
                    "rank 1's result differs from rank 0's (or it failed)");
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "rank 1 did not exit");
            assertEquals(0, child.exitValue());
        } finally {
            c.close();
            child.destroyForcibly();
        }
    }

    @Test
    void killingThePeerProcessFailsTheSurvivorFastNamingIt() throws Exception {
        Process child;
        TcpCollective c;
        try (TcpCollective.Master master = TcpCollective.listen(rankZero())) {
            child = spawn(master.port(), "hang");
            c = master.awaitPeers();
        }
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            assertEquals("READY", out.readLine());
            CountDownLatch entering = new CountDownLatch(1);
            CompletableFuture<Throwable> survivor = CompletableFuture.supplyAsync(() -> {
                try {
                    entering.countDown();
                    c.allReduce(Ranks.direct(16 << 20), ElementType.FLOAT32, ReduceOp.SUM); // waits for rank 1
                    return null;
                } catch (Throwable t) {
                    return t;
                }
            });
            entering.await();
            long killed = System.nanoTime();
            child.destroyForcibly(); // SIGKILL: no shutdown hooks, the kernel closes its sockets
            Throwable t = survivor.get(30, TimeUnit.SECONDS);
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
            CollectiveException e = assertInstanceOf(CollectiveException.class, t);
            assertEquals(Reason.PEER_FAILED, e.reason(), e.getMessage());
            assertEquals(1, e.peerRank(), e.getMessage());
            assertTrue(e.getMessage().contains("rank 1"), e.getMessage());
            assertTrue(ms < 5000, "survivor failed " + ms + " ms after the kill; operation timeout is 60 s");
            assertTrue(child.waitFor(10, TimeUnit.SECONDS));
        } finally {
            c.close();
            child.destroyForcibly();
        }
    }

}
