package dev.sluice.engine.collective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import dev.sluice.engine.train.Launch;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.sluice.engine.collective.CollectiveException.Reason;

class TcpCollectiveTest extends CollectiveContractTest {

    static TcpOptions options(int n, Duration operationTimeout) {
        return TcpOptions.of("127.0.0.1", 0, 0, n).withRendezvousTimeout(Duration.ofSeconds(20))
                .withOperationTimeout(operationTimeout);
    }

    @Override
    List<? extends Collective> create(int n, Duration timeout) throws Exception {
        return TcpCollective.loopback(n, options(n, timeout));
    }

    /** A port nothing listens on (bound and released at once). */
    static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void chunkedReductionOfABufferLargerThanManyChunks() throws Exception {
        int n = 3;
        List<TcpCollective> group = TcpCollective.loopback(n, options(n, Duration.ofSeconds(60)).withChunkBytes(4096));
        try {
            int count = (1 << 18) + 5; // 1 MiB + 20 bytes of floats: ~85 chunks per segment
            Ranks.run(group, c -> {
                ByteBuffer b = Ranks.direct(4 * count);
                for (int i = 0; i < count; i++) {
                    b.putFloat(4 * i, value(c.rank(), i));
                }
                c.allReduce(b, ElementType.FLOAT32, ReduceOp.SUM);
                for (int i = 0; i < count; i++) {
                    float expected = value(0, i) + value(1, i) + value(2, i);
                    if (b.getFloat(4 * i) != expected) {
                        throw new AssertionError("rank " + c.rank() + " element " + i + ": " + b.getFloat(4 * i)
                                + " != " + expected);
                    }
                }
            });
        } finally {
            Ranks.closeAll(group);
        }
    }

    @Test
    void rankZeroTimesOutNamingTheRanksThatDidNotJoin() throws Exception {
        TcpOptions o = TcpOptions.of("127.0.0.1", 0, 0, 3).withRendezvousTimeout(Duration.ofMillis(400));
        try (TcpCollective.Master master = TcpCollective.listen(o);
                HelloRelay relay = new HelloRelay(master.port())) {
            // rank 1 joins through a relay that tells when its whole hello is queued at rank 0, so
            // rank 0's 400 ms start only after rank 1 has joined, however loaded the machine is
            CompletableFuture<TcpCollective> one = CompletableFuture.supplyAsync(() -> {
                try {
                    // its own timeout is long: it waits for rank 0's verdict, not for the clock
                    return TcpCollective.connect(o.withMasterPort(relay.port()).withRank(1)
                            .withRendezvousTimeout(Duration.ofSeconds(60)));
                } catch (CollectiveException e) {
                    throw new RuntimeException(e);
                }
            });
            relay.helloForwarded.get(60, TimeUnit.SECONDS);
            long start = System.nanoTime();
            CollectiveException e = assertThrows(CollectiveException.class, master::awaitPeers);
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(Reason.RENDEZVOUS_TIMEOUT, e.reason(), e.getMessage());
            assertEquals(2, e.peerRank());
            assertTrue(e.getMessage().contains("ranks [2] of 3 did not join"), e.getMessage());
            assertTrue(ms >= 400, "rank 0 waited its whole timeout: " + ms + " ms");
            // rank 1 joined in time and is told why the rendezvous failed
            ExecutionException failed = assertThrows(ExecutionException.class, () -> one.get(60, TimeUnit.SECONDS));
            CollectiveException e1 = assertInstanceOf(CollectiveException.class, failed.getCause().getCause());
            assertEquals(Reason.RENDEZVOUS_TIMEOUT, e1.reason());
            assertTrue(e1.getMessage().contains("ranks [2] of 3 did not join"), e1.getMessage());
        }
    }

    /**
     * One connection's relay to rank 0's rendezvous port: reads a rank's whole hello (the framing of
     * {@code TcpRendezvous.Hello}: magic, version, rank, world size, fingerprint, ring port), writes it
     * to rank 0, completes {@link #helloForwarded}, then copies rank 0's answer back.
     */
    private static final class HelloRelay implements AutoCloseable {
        final CompletableFuture<Void> helloForwarded = new CompletableFuture<>();
        private final ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        private final Thread thread;

        HelloRelay(int masterPort) throws IOException {
            thread = new Thread(() -> {
                try (Socket rank = server.accept();
                        Socket master = new Socket(InetAddress.getLoopbackAddress(), masterPort)) {
                    DataInputStream in = new DataInputStream(rank.getInputStream());
                    DataOutputStream out = new DataOutputStream(master.getOutputStream());
                    for (int i = 0; i < 4; i++) {
                        out.writeInt(in.readInt());
                    }
                    out.writeUTF(in.readUTF());
                    out.writeInt(in.readInt());
                    out.flush();
                    helloForwarded.complete(null);
                    master.getInputStream().transferTo(rank.getOutputStream());
                } catch (IOException | RuntimeException e) {
                    helloForwarded.completeExceptionally(e);
                }
            }, "hello-relay");
            thread.setDaemon(true);
            thread.start();
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    @Test
    void aRankTimesOutWhenRankZeroIsNotThere() throws Exception {
        int port = closedPort();
        TcpOptions o = TcpOptions.of("127.0.0.1", port, 1, 2).withRendezvousTimeout(Duration.ofMillis(500));
        long start = System.nanoTime();
        CollectiveException e = assertThrows(CollectiveException.class, () -> TcpCollective.connect(o));
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(Reason.RENDEZVOUS_TIMEOUT, e.reason(), e.getMessage());
        assertEquals(1, e.rank());
        assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
        assertTrue(ms >= 450 && ms < 5000, "took " + ms + " ms");
    }

    /** Rank 0 of a group of {@code n0} against rank 1 started with {@code o1}: both outcomes. */
    private static CollectiveException[] rendezvous(TcpOptions o0, TcpOptions o1) throws Exception {
        try (TcpCollective.Master master = TcpCollective.listen(o0)) {
            CompletableFuture<Object> one = CompletableFuture.supplyAsync(() -> {
                try {
                    return TcpCollective.connect(o1.withMasterPort(master.port()));
                } catch (CollectiveException e) {
                    return e;
                }
            });
            CollectiveException e0 = assertThrows(CollectiveException.class, master::awaitPeers);
            Object r1 = one.get(10, TimeUnit.SECONDS);
            return new CollectiveException[] {e0, assertInstanceOf(CollectiveException.class, r1)};
        }
    }

    @Test
    void worldSizeMismatchFailsOnBothSidesNamingTheRankAndBothSizes() throws Exception {
        TcpOptions o0 = TcpOptions.of("127.0.0.1", 0, 0, 2).withRendezvousTimeout(Duration.ofSeconds(10));
        TcpOptions o1 = TcpOptions.of("127.0.0.1", 1, 1, 3).withRendezvousTimeout(Duration.ofSeconds(10));
        for (CollectiveException e : rendezvous(o0, o1)) {
            assertEquals(Reason.WORLD_SIZE_MISMATCH, e.reason(), e.getMessage());
            assertEquals(1, e.peerRank());
            assertTrue(e.getMessage().contains("rank 1") && e.getMessage().contains("world size 3")
                    && e.getMessage().contains("world size 2"), e.getMessage());
        }
    }

    @Test
    void fingerprintMismatchFailsOnBothSidesShowingBothFingerprints() throws Exception {
        TcpOptions o0 = TcpOptions.of("127.0.0.1", 0, 0, 2).withRendezvousTimeout(Duration.ofSeconds(10))
                .withFingerprint("mlp-784-256-10");
        TcpOptions o1 = TcpOptions.of("127.0.0.1", 1, 1, 2).withRendezvousTimeout(Duration.ofSeconds(10))
                .withFingerprint("mlp-784-512-10");
        for (CollectiveException e : rendezvous(o0, o1)) {
            assertEquals(Reason.FINGERPRINT_MISMATCH, e.reason(), e.getMessage());
            assertTrue(e.getMessage().contains("'mlp-784-256-10'") && e.getMessage().contains("'mlp-784-512-10'"),
                    e.getMessage());
        }
    }

    @Test
    void aRankOutsideTheWorldIsRejected() throws Exception {
        TcpOptions o0 = TcpOptions.of("127.0.0.1", 0, 0, 2).withRendezvousTimeout(Duration.ofSeconds(10));
        // rank 0 twice: the second process claims the listener's own rank
        TcpOptions o1 = new TcpOptions("127.0.0.1", 1, 0, 2, "", Duration.ofSeconds(10), Duration.ofSeconds(10),
                TcpOptions.DEFAULT_CHUNK_BYTES);
        try (TcpCollective.Master master = TcpCollective.listen(o0)) {
            // a second "rank 0" can only join through the client path, which TcpCollective.connect
            // does not take for rank 0; emulate it with the rendezvous client directly
            CompletableFuture<Object> other = CompletableFuture.supplyAsync(() -> {
                try {
                    return TcpRendezvous.join(o1.withMasterPort(master.port()));
                } catch (CollectiveException e) {
                    return e;
                }
            });
            CollectiveException e0 = assertThrows(CollectiveException.class, master::awaitPeers);
            assertEquals(Reason.RANK_CONFLICT, e0.reason(), e0.getMessage());
            assertTrue(e0.getMessage().contains("claims rank 0"), e0.getMessage());
            CollectiveException e1 = assertInstanceOf(CollectiveException.class, other.get(10, TimeUnit.SECONDS));
            assertEquals(Reason.RANK_CONFLICT, e1.reason(), e1.getMessage());
        }
    }

    @Test
    void optionsComeFromTorchrunStyleEnvironment() {
        // the trainer reads the launch variables through Launch and builds its options from it
        Launch l = Launch.fromEnvironment(Map.of("MASTER_ADDR", "10.1.2.3", "MASTER_PORT", "29500",
                "RANK", "3", "WORLD_SIZE", "8")).orElseThrow();
        TcpOptions o = TcpOptions.of(l.masterAddr(), l.masterPort(), l.rank(), l.worldSize());
        assertEquals("10.1.2.3", o.masterHost());
        assertEquals(29500, o.masterPort());
        assertEquals(3, o.rank());
        assertEquals(8, o.worldSize());
        assertThrows(IllegalArgumentException.class, () -> TcpOptions.of("h", 1, 2, 2));
    }
}
