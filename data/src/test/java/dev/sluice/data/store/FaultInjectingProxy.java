package dev.sluice.data.store;

import dev.sluice.s3local.HttpHead;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An HTTP/1.1 reverse proxy on 127.0.0.1 in front of a real S3 server that injects faults on a
 * deterministic schedule: rules match requests by method and path fragment and hand out their
 * faults in order (then pass requests through), or apply one fault to every match.
 *
 * <p>Faults: 503 SlowDown and 500 InternalError with S3's XML error body; a connection reset after
 * half the body; a body cut short (full Content-Length announced, connection closed early); a 206
 * that is consistent HTTP but covers half the asked range; a response that stalls after its first
 * bytes; and a 403 whose error body echoes the request's credential fields, as S3's
 * SignatureDoesNotMatch does (to prove a store never repeats them).
 *
 * <p>Plain HTTP/1.1 only (what the CRT client speaks to an {@code http://} endpoint). Every loop is
 * bounded: socket timeouts on both sides, a cap on connections and requests, and the proxy closes
 * itself after {@code lifetime}.
 *
 * <p>Public for the engine's S3 tests (data's test-jar).
 */
public final class FaultInjectingProxy implements AutoCloseable {

    public enum Fault {
        /** Forward unchanged. */
        NONE,
        /** 503 with an S3 {@code SlowDown} XML body; the request is not forwarded. */
        SLOW_DOWN_503,
        /** 500 with an S3 {@code InternalError} XML body; the request is not forwarded. */
        INTERNAL_500,
        /** Forward; send the headers and half the body, then reset the connection (RST). */
        RESET_MID_BODY,
        /** Forward; send the headers (full Content-Length) and half the body, then close (FIN). */
        TRUNCATE_BODY,
        /** Forward; rewrite a 206 to cover only the first half of its range and send that half. */
        SHORT_RANGE,
        /**
         * Forward; drop Content-Length so the body is delimited by the connection closing (legal
         * HTTP/1.1 framing), send half the body, then close: framing cannot reveal the cut, only
         * counting the bytes against the range asked for can.
         */
        CLOSE_DELIMITED_SHORT,
        /** Forward; send the headers and the first bytes, then pause for the proxy's stall time. */
        STALL,
        /** 403 SignatureDoesNotMatch whose message and body echo the request's credential fields. */
        FORBIDDEN_ECHO_CREDENTIALS,
    }

    private static final int MAX_CONNECTIONS = 2_000;
    private static final int MAX_REQUESTS_PER_CONNECTION = 10_000;
    private static final int SOCKET_TIMEOUT_MS = 20_000;
    private static final Pattern CREDENTIAL = Pattern.compile("Credential=([^/,\\s]+)");

    private final int upstreamPort;
    private final Duration stall;
    private final ServerSocket server;
    private final Thread acceptor;
    private final List<Rule> rules = new CopyOnWriteArrayList<>();
    private final Map<Fault, AtomicInteger> injected = new EnumMap<>(Fault.class);
    private final List<String> requestLog = Collections.synchronizedList(new ArrayList<>());
    private final List<Socket> open = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger connections = new AtomicInteger();
    private final Semaphore stallsStarted = new Semaphore(0);
    private final Semaphore stallsEnded = new Semaphore(0);
    private volatile CountDownLatch stallGate;
    private final long deadlineNanos;
    private volatile boolean closed;

    /**
     * @param upstreamPort port of the S3 server on 127.0.0.1
     * @param stall how long {@link Fault#STALL} pauses
     * @param lifetime the proxy closes itself after this long
     */
    public FaultInjectingProxy(int upstreamPort, Duration stall, Duration lifetime) throws IOException {
        this.upstreamPort = upstreamPort;
        this.stall = stall;
        for (Fault f : Fault.values()) {
            injected.put(f, new AtomicInteger());
        }
        this.deadlineNanos = System.nanoTime() + lifetime.toNanos();
        this.server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        this.acceptor = new Thread(this::acceptLoop, "fault-proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** {@code http://127.0.0.1:port}, the endpoint a client should use. */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    /** The next requests with {@code method} whose path contains {@code pathPart} get {@code faults}, in order. */
    public void inject(String method, String pathPart, Fault... faults) {
        rules.add(new Rule(method, pathPart, null, new ArrayDeque<>(List.of(faults))));
    }

    /** Every request with {@code method} whose path contains {@code pathPart} gets {@code fault}. */
    public void always(String method, String pathPart, Fault fault) {
        rules.add(new Rule(method, pathPart, fault, null));
    }

    /**
     * From now on a {@link Fault#STALL} pauses until {@link #releaseStalls()} (at most the socket
     * timeout) instead of for the stall time, so a test decides when the server speaks again.
     */
    public void holdStalls() {
        stallGate = new CountDownLatch(1);
    }

    /** Lets held stalls continue; later stalls pause for the stall time again. */
    public void releaseStalls() {
        CountDownLatch g = stallGate;
        stallGate = null;
        if (g != null) {
            g.countDown();
        }
    }

    /** Waits until a {@link Fault#STALL} response has sent its first bytes and paused; true if one did. */
    public boolean awaitStallStarted(Duration timeout) throws InterruptedException {
        return stallsStarted.tryAcquire(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * Waits until a stalled response is over: its remaining bytes were written, or writing them
     * failed because the client had gone. True if one was.
     */
    public boolean awaitStallEnded(Duration timeout) throws InterruptedException {
        return stallsEnded.tryAcquire(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Drops all rules: requests pass through. */
    public void clearRules() {
        rules.clear();
    }

    /** How many times {@code fault} was applied. */
    public int injected(Fault fault) {
        return injected.get(fault).get();
    }

    /** Total faults applied (NONE excluded). */
    public int injectedTotal() {
        int n = 0;
        for (Map.Entry<Fault, AtomicInteger> e : injected.entrySet()) {
            if (e.getKey() != Fault.NONE) {
                n += e.getValue().get();
            }
        }
        return n;
    }

    /** "METHOD path -> fault" for every request seen, in order. */
    public List<String> requestLog() {
        synchronized (requestLog) {
            return new ArrayList<>(requestLog);
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing a listening socket only fails if it is already closed
        }
        synchronized (open) {
            for (Socket s : open) {
                closeQuietly(s);
            }
            open.clear();
        }
    }

    private Fault faultFor(String method, String path) {
        for (Rule r : rules) {
            if (!r.method.equals(method) || !path.contains(r.pathPart)) {
                continue;
            }
            if (r.fixed != null) {
                return r.fixed;
            }
            synchronized (r) {
                Fault f = r.queue.poll();
                if (f != null) {
                    return f;
                }
            }
        }
        return Fault.NONE;
    }

    private void acceptLoop() {
        while (!closed && connections.get() < MAX_CONNECTIONS) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                break;
            }
            try {
                server.setSoTimeout((int) Math.max(1, Math.min(1_000, left / 1_000_000)));
                Socket client = server.accept();
                connections.incrementAndGet();
                open.add(client);
                Thread t = new Thread(() -> serve(client), "fault-proxy-conn-" + connections.get());
                t.setDaemon(true);
                t.start();
            } catch (java.net.SocketTimeoutException tick) {
                // re-check the deadline
            } catch (IOException e) {
                break;
            }
        }
        close();
    }

    private void serve(Socket client) {
        Socket upstream = null;
        try {
            client.setSoTimeout(SOCKET_TIMEOUT_MS);
            client.setTcpNoDelay(true);
            InputStream cin = new BufferedInputStream(client.getInputStream());
            OutputStream cout = client.getOutputStream();
            InputStream uin = null;
            OutputStream uout = null;
            for (int n = 0; n < MAX_REQUESTS_PER_CONNECTION && !closed; n++) {
                HttpHead req = readHead(cin);
                if (req == null) {
                    return; // client closed the connection
                }
                String[] line = req.startLine().split(" ", 3);
                String method = line[0];
                String path = line.length > 1 ? line[1] : "";
                boolean expectContinue = "100-continue".equalsIgnoreCase(req.header("Expect"));
                if (expectContinue) {
                    req.remove("Expect");
                    cout.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    cout.flush();
                }
                byte[] reqBody = readBody(cin, req, false, 0);
                Fault fault = faultFor(method, path);
                requestLog.add(method + " " + path + " -> " + fault);
                if (fault != Fault.NONE) {
                    injected.get(fault).incrementAndGet();
                }
                switch (fault) {
                    case SLOW_DOWN_503 -> {
                        sendError(cout, method, 503, "Service Unavailable", "SlowDown",
                                "Please reduce your request rate.", "");
                        continue;
                    }
                    case INTERNAL_500 -> {
                        sendError(cout, method, 500, "Internal Server Error", "InternalError",
                                "We encountered an internal error. Please try again.", "");
                        continue;
                    }
                    case FORBIDDEN_ECHO_CREDENTIALS -> {
                        String auth = String.valueOf(req.header("Authorization"));
                        String token = String.valueOf(req.header("X-Amz-Security-Token"));
                        Matcher m = CREDENTIAL.matcher(auth);
                        String keyId = m.find() ? m.group(1) : "";
                        sendError(cout, method, 403, "Forbidden", "SignatureDoesNotMatch",
                                "The request signature we calculated does not match the signature you provided."
                                        + " AWSAccessKeyId " + keyId + ", Authorization " + auth
                                        + ", security token " + token,
                                "<AWSAccessKeyId>" + keyId + "</AWSAccessKeyId><StringToSign>" + auth
                                        + "</StringToSign>");
                        continue;
                    }
                    default -> {
                        // forwarded below
                    }
                }
                if (upstream == null) {
                    upstream = new Socket();
                    upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort), 5_000);
                    upstream.setSoTimeout(SOCKET_TIMEOUT_MS);
                    upstream.setTcpNoDelay(true);
                    open.add(upstream);
                    uin = new BufferedInputStream(upstream.getInputStream());
                    uout = upstream.getOutputStream();
                }
                uout.write(req.bytes());
                uout.write(reqBody);
                uout.flush();
                HttpHead resp = readHead(uin);
                if (resp == null) {
                    throw new EOFException("upstream closed without a response");
                }
                int status = Integer.parseInt(resp.startLine().split(" ", 3)[1]);
                boolean noBody = "HEAD".equals(method) || status == 204 || status == 304 || status / 100 == 1;
                byte[] respBody = noBody ? new byte[0] : readBody(uin, resp, true, status);
                boolean upstreamDone = resp.header("Content-Length") == null
                        && !"chunked".equalsIgnoreCase(resp.header("Transfer-Encoding")) && !noBody;
                if (upstreamDone) {
                    // body was delimited by the upstream closing its side
                    closeQuietly(upstream);
                    upstream = null;
                }
                if (!forward(fault, client, cout, resp, respBody, status)) {
                    return;
                }
            }
        } catch (IOException e) {
            // the client went away, a fault closed the connection, or the proxy is closing
        } finally {
            closeQuietly(client);
            if (upstream != null) {
                closeQuietly(upstream);
            }
        }
    }

    /** Sends a response, faulted as asked; false if the connection is finished. */
    private boolean forward(Fault fault, Socket client, OutputStream cout, HttpHead resp, byte[] body, int status)
            throws IOException {
        switch (fault) {
            case RESET_MID_BODY, TRUNCATE_BODY -> {
                if (body.length < 2) {
                    break; // nothing to cut: behave like NONE
                }
                cout.write(resp.bytes());
                cout.write(body, 0, body.length / 2);
                cout.flush();
                if (fault == Fault.RESET_MID_BODY) {
                    client.setSoLinger(true, 0); // close() now sends RST instead of FIN
                }
                client.close();
                return false;
            }
            case SHORT_RANGE -> {
                String cr = resp.header("Content-Range");
                long[] range = cr == null ? null : RangeSink.parseContentRange(cr);
                if (status != 206 || range == null || body.length < 2) {
                    break;
                }
                int half = body.length / 2;
                resp.set("Content-Range", "bytes " + range[0] + "-" + (range[0] + half - 1) + "/"
                        + (range[2] < 0 ? "*" : Long.toString(range[2])));
                resp.set("Content-Length", Integer.toString(half));
                cout.write(resp.bytes());
                cout.write(body, 0, half);
                cout.flush();
                return true;
            }
            case CLOSE_DELIMITED_SHORT -> {
                if (body.length < 2) {
                    break;
                }
                resp.remove("Content-Length");
                resp.remove("Transfer-Encoding");
                resp.set("Connection", "close");
                cout.write(resp.bytes());
                cout.write(body, 0, body.length / 2);
                cout.flush();
                client.shutdownOutput();
                client.close();
                return false;
            }
            case STALL -> {
                int first = Math.min(body.length, 1024);
                cout.write(resp.bytes());
                cout.write(body, 0, first);
                cout.flush();
                try {
                    stallsStarted.release();
                    CountDownLatch gate = stallGate;
                    try {
                        // the fault itself: a server that goes quiet
                        if (gate != null) {
                            gate.await(SOCKET_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                        } else {
                            Thread.sleep(stall.toMillis());
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return false;
                    }
                    cout.write(body, first, body.length - first);
                    cout.flush();
                    return true;
                } finally {
                    stallsEnded.release();
                }
            }
            default -> {
                // NONE
            }
        }
        cout.write(resp.bytes());
        cout.write(body);
        cout.flush();
        return true;
    }

    private static void sendError(OutputStream out, String method, int status, String reason, String code,
            String message, String extra) throws IOException {
        String xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code + "</Code><Message>"
                + escape(message) + "</Message>" + extra
                + "<RequestId>FAULT0000000000</RequestId><HostId>fault-injecting-proxy</HostId></Error>";
        byte[] body = xml.getBytes(StandardCharsets.UTF_8);
        boolean head = "HEAD".equals(method);
        String h = "HTTP/1.1 " + status + " " + reason + "\r\n"
                + "Content-Type: application/xml\r\n"
                + "x-amz-request-id: FAULT0000000000\r\n"
                + "Content-Length: " + (head ? 0 : body.length) + "\r\n\r\n";
        out.write(h.getBytes(StandardCharsets.US_ASCII));
        if (!head) {
            out.write(body);
        }
        out.flush();
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    /** Reads a message body as framed by its headers; chunked bodies are de-chunked and re-framed. */
    private static byte[] readBody(InputStream in, HttpHead head, boolean response, int status) throws IOException {
        String te = head.header("Transfer-Encoding");
        if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (int i = 0; i < 1_000_000; i++) {
                String sizeLine = readLine(in);
                int semi = sizeLine.indexOf(';');
                int size = Integer.parseInt((semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim(), 16);
                if (size == 0) {
                    // trailers until the empty line
                    for (int j = 0; j < 100 && !readLine(in).isEmpty(); j++) {
                        // skip trailer
                    }
                    break;
                }
                out.write(in.readNBytes(size));
                readLine(in);
            }
            byte[] body = out.toByteArray();
            head.remove("Transfer-Encoding");
            head.set("Content-Length", Integer.toString(body.length));
            return body;
        }
        String cl = head.header("Content-Length");
        if (cl != null) {
            int n = Integer.parseInt(cl.trim());
            byte[] body = in.readNBytes(n);
            if (body.length != n) {
                throw new EOFException("body ended after " + body.length + " of " + n + " bytes");
            }
            return body;
        }
        if (!response) {
            return new byte[0]; // a request without framing has no body
        }
        byte[] body = in.readAllBytes(); // delimited by close
        head.set("Content-Length", Integer.toString(body.length));
        return body;
    }

    private static String readLine(InputStream in) throws IOException {
        return HttpHead.readLine(in);
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing to do for a socket that fails to close
        }
    }

    private record Rule(String method, String pathPart, Fault fixed, ArrayDeque<Fault> queue) {}

    /** A message head, or null when the connection ended (or was reset) before a message began. */
    private static HttpHead readHead(InputStream in) throws IOException {
        try {
            return HttpHead.read(in);
        } catch (SocketException reset) {
            return null;
        }
    }
}
