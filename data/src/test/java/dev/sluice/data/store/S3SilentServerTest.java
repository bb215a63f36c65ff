package dev.sluice.data.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A server that accepts connections and never answers: the store says which key is waiting while
 * it waits and fails after the response timeout, not after attempts x the stall timeout.
 */
class S3SilentServerTest {

    /** Accepts every connection on 127.0.0.1, reads whatever comes and never writes a byte. */
    private static final class SilentServer implements AutoCloseable {
        final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        final List<Socket> accepted = new CopyOnWriteArrayList<>();

        SilentServer() throws IOException {
            Thread t = new Thread(() -> {
                try {
                    while (true) {
                        Socket s = server.accept();
                        accepted.add(s);
                        Thread drain = new Thread(() -> {
                            try (InputStream in = s.getInputStream()) {
                                in.transferTo(OutputStreamSink.INSTANCE);
                            } catch (IOException closed) {
                                // the client gave up on the connection: what this server is for
                            }
                        }, "silent-server-drain");
                        drain.setDaemon(true);
                        drain.start();
                    }
                } catch (IOException closed) {
                    // close() ends the accept loop
                }
            }, "silent-server");
            t.setDaemon(true);
            t.start();
        }

        String endpoint() {
            return "http://127.0.0.1:" + server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket s : accepted) {
                s.close();
            }
        }
    }

    private static final class OutputStreamSink extends java.io.OutputStream {
        static final OutputStreamSink INSTANCE = new OutputStreamSink();

        @Override
        public void write(int b) {}

        @Override
        public void write(byte[] b, int off, int len) {}
    }

    @Test
    void aServerThatNeverAnswersIsNamedWhileWaitingAndFailsAfterTheResponseTimeout() throws Exception {
        // a 30 s stall timeout that must not be what ends it; 2 s of silence closes a connection
        RetryPolicy policy = new RetryPolicy(2, Duration.ofMillis(5), Duration.ofMillis(5), Duration.ofSeconds(30),
                Duration.ofSeconds(2));
        PrintStream originalErr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        ExecutionException e;
        try (SilentServer silent = new SilentServer();
                S3Store store = S3Store.open("s3://quiet-bucket/set", S3TestSupport.options(silent.endpoint())
                        .withRetry(policy))) {
            CompletableFuture<Void> read = store.readAsync("shard-0", 0, ByteBuffer.allocateDirect(1000));
            // bounded: two attempts of at most a few response timeouts each, far below 2 x 30 s
            e = assertThrows(ExecutionException.class, () -> read.get(50, TimeUnit.SECONDS));
            assertTrue(silent.accepted.size() >= 2, "the server saw the attempts: " + silent.accepted.size());
        } finally {
            System.setErr(originalErr);
        }
        TransferFailedException t = assertInstanceOf(TransferFailedException.class, e.getCause());
        assertEquals("set/shard-0", t.objectKey());
        assertEquals(2, t.attempts());
        String m = t.getMessage();
        assertTrue(m.contains("s3://quiet-bucket/set/shard-0"), m);
        assertTrue(m.contains("the server accepted the connection but sent nothing for 2 s"), m);
        assertTrue(m.contains("RetryPolicy.responseTimeout"), m);
        assertTrue(m.contains("throughput minimum"), "the connection check ended it, not the stall timeout: " + m);

        String log = captured.toString(StandardCharsets.UTF_8);
        // said while it happened: which key, how long so far, which attempt
        assertTrue(log.contains("WARN dev.sluice.data.store.Retrier - s3://quiet-bucket/set/shard-0 GET bytes [0, 1000):"
                + " no answer from the server for "), log);
        assertTrue(log.contains("(attempt 1 of 2)"), log);
        assertTrue(log.contains("s3://quiet-bucket/set/shard-0 GET bytes [0, 1000): attempt 1/2 got no answer"), log);
    }

    @Test
    void theDefaultsAreTheDocumentedOnes() {
        RetryPolicy d = RetryPolicy.defaults();
        assertEquals(4, d.maxAttempts());
        assertEquals(Duration.ofSeconds(5), d.responseTimeout());
        assertEquals(Duration.ofSeconds(30), d.stallTimeout());
        assertEquals(Duration.ofSeconds(10), d.maxDelay());
        // the four-argument form keeps the response timeout within the stall timeout
        assertEquals(Duration.ofMillis(400),
                new RetryPolicy(3, Duration.ZERO, Duration.ZERO, Duration.ofMillis(400)).responseTimeout());
        assertEquals(RetryPolicy.DEFAULT_RESPONSE_TIMEOUT,
                new RetryPolicy(3, Duration.ZERO, Duration.ZERO, Duration.ofSeconds(60)).responseTimeout());
    }
}
