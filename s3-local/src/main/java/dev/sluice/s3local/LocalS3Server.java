package dev.sluice.s3local;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * A minimal, read-only, S3-compatible HTTP/1.1 server on 127.0.0.1 that serves one local directory
 * as one bucket, so a benchmark can put the whole S3 client path (signing, HTTP, the CRT's parallel
 * ranged GETs, the store's retries) between the loader and the bytes without a network or a heavy
 * server. It answers what an S3 reader needs and nothing else:
 *
 * <ul>
 *   <li>{@code GET /bucket/key} with or without {@code Range: bytes=a-b | a- | -n}: 200 or 206 with
 *       {@code Content-Length}, {@code Content-Range}, {@code ETag}, {@code Last-Modified},
 *       {@code Accept-Ranges}; 416 for a range past the end; {@code If-Match} is honoured (the CRT
 *       client pins the parts of one object to its first ETag). Bodies go out with
 *       {@link FileChannel#transferTo} (sendfile on Linux), so serving costs little CPU;
 *   <li>{@code HEAD /bucket/key};
 *   <li>{@code GET /bucket?list-type=2} (ListObjectsV2) with {@code prefix}, {@code max-keys},
 *       {@code start-after}, {@code continuation-token} paging and {@code encoding-type=url};
 *   <li>errors as S3's XML ({@code NoSuchKey}, {@code NoSuchBucket}, {@code InvalidRange}); writes and
 *       anything else get 501 {@code NotImplemented}, naming the server as read-only.
 * </ul>
 *
 * <p>Path-style addressing only; signatures are not checked (any or no credentials work). Keys map
 * to files below the root; path segments starting with {@code .} (staging directories, hidden files)
 * are neither served nor listed, and no key leaves the root. One thread per connection, at most
 * {@code maxConnections} at once (more get 503 SlowDown, which S3 clients retry); idle connections
 * close after {@link #IDLE_TIMEOUT_MS}. Everything stops on {@link #close()}; threads are daemons.
 */
public final class LocalS3Server implements AutoCloseable {

    /** An idle keep-alive connection is closed after this long. */
    public static final int IDLE_TIMEOUT_MS = 30_000;

    private static final int MAX_REQUESTS_PER_CONNECTION = 1_000_000;
    private static final long MAX_DISCARDED_BODY = 16L << 20;
    private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter ISO_MILLIS =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private final Path root;
    private final String bucket;
    private final int pageSize;
    private final int maxConnections;
    private final ServerSocketChannel server;
    private final Thread acceptor;
    private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong bytesSent = new AtomicLong();
    private final Map<String, AtomicLong> bytesByKey = new ConcurrentHashMap<>();
    private final AtomicLong connections = new AtomicLong();
    private final List<String> log = Collections.synchronizedList(new ArrayList<>());
    private final int logLimit;
    private volatile boolean closed;

    private LocalS3Server(Path root, String bucket, int pageSize, int maxConnections, int logLimit)
            throws IOException {
        this.root = root.toRealPath();
        this.bucket = bucket;
        this.pageSize = pageSize;
        this.maxConnections = maxConnections;
        this.logLimit = logLimit;
        this.server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
        this.acceptor = new Thread(this::acceptLoop, "s3-local-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /**
     * Serves {@code root} as bucket {@code bucket} on a free port of 127.0.0.1: 1000 keys per
     * listing page, 256 connections.
     */
    public static LocalS3Server start(Path root, String bucket) throws IOException {
        return start(root, bucket, 1000, 256, 0);
    }

    /**
     * @param root directory whose files are the bucket's objects
     * @param bucket bucket name in request paths
     * @param pageSize most keys per ListObjectsV2 page (S3's is 1000; small values test paging)
     * @param maxConnections connections served at once
     * @param logLimit how many request lines to remember for {@link #requestLog()} (0 for none)
     */
    public static LocalS3Server start(Path root, String bucket, int pageSize, int maxConnections, int logLimit)
            throws IOException {
        if (!Files.isDirectory(root)) {
            throw new NoSuchFileException(root.toString(), null, "the directory to serve does not exist");
        }
        if (bucket.isEmpty() || bucket.contains("/")) {
            throw new IllegalArgumentException("invalid bucket name '" + bucket + "'");
        }
        if (pageSize < 1 || maxConnections < 1 || logLimit < 0) {
            throw new IllegalArgumentException("pageSize and maxConnections must be positive, logLimit >= 0");
        }
        return new LocalS3Server(root, bucket, pageSize, maxConnections, logLimit);
    }

    /** {@code http://127.0.0.1:port}, for {@code --s3-endpoint}. */
    public String endpoint() {
        return "http://127.0.0.1:" + port();
    }

    public int port() {
        return server.socket().getLocalPort();
    }

    public String bucket() {
        return bucket;
    }

    public Path root() {
        return root;
    }

    /** Requests answered so far. */
    public long requests() {
        return requests.get();
    }

    /** Body bytes sent so far. */
    public long bytesSent() {
        return bytesSent.get();
    }

    /**
     * Body bytes of object {@code key} sent so far, over all its GETs (whole or ranged), so a test
     * can tell how many times an object was downloaded: once when it equals the object's size.
     */
    public long bytesSent(String key) {
        AtomicLong n = bytesByKey.get(key);
        return n == null ? 0 : n.get();
    }

    /** Connections accepted so far. */
    public long connections() {
        return connections.get();
    }

    /** The first requests as {@code METHOD target [Range] -> status}, up to the log limit. */
    public List<String> requestLog() {
        synchronized (log) {
            return new ArrayList<>(log);
        }
    }

    /** Stops accepting and closes every connection; requests in flight fail. */
    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing a listening channel fails only if it is already closed
        }
        for (SocketChannel c : open) {
            closeQuietly(c);
        }
        try {
            acceptor.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "LocalS3Server[" + endpoint() + "/" + bucket + " -> " + root + "]";
    }

    // ---------------------------------------------------------------- connections

    private void acceptLoop() {
        while (!closed) {
            SocketChannel c;
            try {
                c = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            long n = connections.incrementAndGet();
            open.add(c);
            boolean over = open.size() > maxConnections;
            Thread t = new Thread(() -> serve(c, over), "s3-local-conn-" + n);
            t.setDaemon(true);
            t.start();
        }
    }

    private void serve(SocketChannel ch, boolean overLimit) {
        try {
            ch.socket().setTcpNoDelay(true);
            ch.socket().setSoTimeout(IDLE_TIMEOUT_MS);
            InputStream in = new BufferedInputStream(ch.socket().getInputStream(), 16 * 1024);
            for (int n = 0; n < MAX_REQUESTS_PER_CONNECTION && !closed; n++) {
                Request req = Request.read(in);
                if (req == null) {
                    return; // the client closed the connection
                }
                requests.incrementAndGet();
                if (overLimit) {
                    error(ch, req, 503, "SlowDown", "too many connections to this local server; retry", true);
                    return;
                }
                if (!handle(ch, in, req)) {
                    return;
                }
            }
        } catch (SocketTimeoutException | ClosedChannelException | EOFException idleOrGone) {
            // idle keep-alive connection timed out, or the client or close() ended it
        } catch (IOException | IllegalArgumentException e) {
            // connection reset by the client, or a request this server cannot parse (malformed
            // percent-encoding): close the connection, as there is no request to answer
        } finally {
            open.remove(ch);
            closeQuietly(ch);
        }
    }

    /** Answers one request; false when the connection must close. */
    private boolean handle(SocketChannel ch, InputStream in, Request req) throws IOException {
        long bodyBytes = bodyLength(req);
        if (bodyBytes != 0 || !(req.method.equals("GET") || req.method.equals("HEAD"))) {
            // read-only. A small body is read and dropped first: closing a socket with unread input
            // resets the connection, and the client would see a reset instead of this answer.
            boolean drained = bodyBytes >= 0 && bodyBytes <= MAX_DISCARDED_BODY;
            if (drained) {
                in.skipNBytes(bodyBytes);
            }
            error(ch, req, 501, "NotImplemented", "this local S3 server is read-only: it answers GET and HEAD of"
                    + " objects and ListObjectsV2, not " + req.method, !drained);
            return drained;
        }
        boolean close = "close".equalsIgnoreCase(req.header("connection"));
        String path = req.path;
        if (!path.startsWith("/")) {
            error(ch, req, 400, "InvalidRequest", "request target must be a path", true);
            return false;
        }
        String rest = path.substring(1);
        int slash = rest.indexOf('/');
        String b = slash < 0 ? rest : rest.substring(0, slash);
        String key = slash < 0 ? "" : rest.substring(slash + 1);
        if (b.isEmpty()) {
            error(ch, req, 501, "NotImplemented", "ListBuckets is not supported; this server serves bucket '"
                    + bucket + "'", close);
            return !close;
        }
        if (!b.equals(bucket)) {
            error(ch, req, 404, "NoSuchBucket", "The specified bucket does not exist", close);
            return !close;
        }
        if (key.isEmpty()) {
            if (!"2".equals(req.query.get("list-type")) || !req.method.equals("GET")) {
                error(ch, req, 501, "NotImplemented", "only ListObjectsV2 (list-type=2) is supported on a bucket",
                        close);
            } else {
                list(ch, req, close);
            }
        } else {
            object(ch, req, key, close);
        }
        return !close;
    }

    /** Bytes of the request body by its Content-Length; -1 when it is chunked or unreadable. */
    private static long bodyLength(Request req) {
        if (req.header("transfer-encoding") != null) {
            return -1;
        }
        String cl = req.header("content-length");
        if (cl == null) {
            return 0;
        }
        try {
            long n = Long.parseLong(cl.trim());
            return n < 0 ? -1 : n;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    // ---------------------------------------------------------------- objects

    private void object(SocketChannel ch, Request req, String key, boolean close) throws IOException {
        Path file = resolve(key);
        BasicFileAttributes attrs = null;
        if (file != null) {
            try {
                attrs = Files.readAttributes(file, BasicFileAttributes.class);
            } catch (NoSuchFileException e) {
                attrs = null;
            }
        }
        if (attrs == null || !attrs.isRegularFile()) {
            error(ch, req, 404, "NoSuchKey", "The specified key does not exist.", close);
            return;
        }
        try (FileChannel fc = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = fc.size();
            String etag = etag(key, size, attrs.lastModifiedTime().toMillis());
            String ifMatch = req.header("if-match");
            if (ifMatch != null && !ifMatch.trim().equals("*") && !ifMatch.trim().equals(etag)) {
                error(ch, req, 412, "PreconditionFailed", "At least one of the preconditions you specified did"
                        + " not hold (If-Match " + ifMatch.trim() + ", object ETag " + etag + ")", close);
                return;
            }
            long first = 0;
            long last = size - 1;
            boolean partial = false;
            String range = req.header("range");
            if (range != null) {
                long[] r = HttpHead.byteRange(range.trim(), size);
                if (r == null) {
                    range = null; // unparseable or multi-range: S3 ignores it and sends the object
                } else if (r.length == 0) {
                    Map<String, String> h = new LinkedHashMap<>();
                    h.put("Content-Range", "bytes */" + size);
                    error(ch, req, 416, "InvalidRange", "The requested range is not satisfiable", close, h);
                    return;
                } else {
                    first = r[0];
                    last = r[1];
                    partial = true;
                }
            }
            long length = size == 0 ? 0 : last - first + 1;
            Map<String, String> h = new LinkedHashMap<>();
            h.put("Content-Type", "application/octet-stream");
            h.put("Content-Length", Long.toString(length));
            if (partial) {
                h.put("Content-Range", "bytes " + first + "-" + last + "/" + size);
            }
            h.put("Accept-Ranges", "bytes");
            h.put("ETag", etag);
            h.put("Last-Modified", HTTP_DATE.format(attrs.lastModifiedTime().toInstant()));
            int status = partial ? 206 : 200;
            respond(ch, req, status, partial ? "Partial Content" : "OK", h, close);
            if (req.method.equals("GET")) {
                AtomicLong perKey = bytesByKey.computeIfAbsent(key, k -> new AtomicLong());
                long pos = first;
                long end = first + length;
                while (pos < end) {
                    long n = fc.transferTo(pos, end - pos, ch);
                    if (n <= 0) {
                        if (pos >= fc.size()) {
                            throw new EOFException(file + " shrank while it was being served");
                        }
                        continue;
                    }
                    pos += n;
                    bytesSent.addAndGet(n);
                    perKey.addAndGet(n);
                }
            }
        }
    }

    /** The file of a key, or null if the key is not a plain path below the root. */
    private Path resolve(String key) {
        if (key.indexOf('\\') >= 0 || key.indexOf('\0') >= 0) {
            return null;
        }
        for (String segment : key.split("/", -1)) {
            if (segment.isEmpty() || segment.startsWith(".")) {
                return null; // also rejects "." and ".."
            }
        }
        Path p = root.resolve(key).normalize();
        if (!p.startsWith(root)) {
            return null;
        }
        try {
            // a symbolic link may point anywhere: serve only what really lies below the root
            Path real = p.toRealPath();
            return real.startsWith(root) ? real : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static String etag(String key, long size, long mtimeMillis) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update((key + "\n" + size + "\n" + mtimeMillis).getBytes(StandardCharsets.UTF_8));
            return "\"" + HexFormat.of().formatHex(md.digest(), 0, 16) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    // ---------------------------------------------------------------- listing

    private record Entry(String key, long size, long mtimeMillis) {}

    private void list(SocketChannel ch, Request req, boolean close) throws IOException {
        String prefix = req.query.getOrDefault("prefix", "");
        if (req.query.containsKey("delimiter")) {
            error(ch, req, 501, "NotImplemented", "ListObjectsV2 with a delimiter is not supported by this server",
                    close);
            return;
        }
        int max = pageSize;
        if (req.query.containsKey("max-keys")) {
            try {
                max = Math.max(0, Math.min(pageSize, Integer.parseInt(req.query.get("max-keys"))));
            } catch (NumberFormatException e) {
                error(ch, req, 400, "InvalidArgument", "max-keys must be an integer", close);
                return;
            }
        }
        String token = req.query.get("continuation-token");
        String after = req.query.getOrDefault("start-after", "");
        if (token != null) {
            try {
                after = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                error(ch, req, 400, "InvalidArgument", "The continuation token provided is incorrect", close);
                return;
            }
        }
        List<Entry> all = entries(prefix);
        List<Entry> page = new ArrayList<>();
        boolean truncated = false;
        for (Entry e : all) {
            if (utf8Order(e.key, after) <= 0) {
                continue;
            }
            if (page.size() == max) {
                truncated = true;
                break;
            }
            page.add(e);
        }
        boolean url = "url".equals(req.query.get("encoding-type"));
        StringBuilder x = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
                .append("<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">")
                .append("<Name>").append(xml(bucket)).append("</Name>")
                .append("<Prefix>").append(xml(url ? urlEncode(prefix) : prefix)).append("</Prefix>")
                .append("<KeyCount>").append(page.size()).append("</KeyCount>")
                .append("<MaxKeys>").append(max).append("</MaxKeys>");
        if (url) {
            x.append("<EncodingType>url</EncodingType>");
        }
        if (token != null) {
            x.append("<ContinuationToken>").append(xml(token)).append("</ContinuationToken>");
        }
        if (req.query.containsKey("start-after")) {
            String sa = req.query.get("start-after");
            x.append("<StartAfter>").append(xml(url ? urlEncode(sa) : sa)).append("</StartAfter>");
        }
        x.append("<IsTruncated>").append(truncated).append("</IsTruncated>");
        if (truncated) {
            String next = Base64.getUrlEncoder().withoutPadding()
                    .encodeToString(page.get(page.size() - 1).key.getBytes(StandardCharsets.UTF_8));
            x.append("<NextContinuationToken>").append(next).append("</NextContinuationToken>");
        }
        for (Entry e : page) {
            x.append("<Contents><Key>").append(xml(url ? urlEncode(e.key) : e.key)).append("</Key>")
                    .append("<LastModified>").append(ISO_MILLIS.format(Instant.ofEpochMilli(e.mtimeMillis)))
                    .append("</LastModified><ETag>").append(xml(etag(e.key, e.size, e.mtimeMillis)))
                    .append("</ETag><Size>").append(e.size).append("</Size>")
                    .append("<StorageClass>STANDARD</StorageClass></Contents>");
        }
        x.append("</ListBucketResult>");
        byte[] body = x.toString().getBytes(StandardCharsets.UTF_8);
        Map<String, String> h = new LinkedHashMap<>();
        h.put("Content-Type", "application/xml");
        h.put("Content-Length", Integer.toString(body.length));
        respond(ch, req, 200, "OK", h, close);
        writeBody(ch, body);
    }

    /** Regular files below the root whose keys start with {@code prefix}, sorted by key. */
    private List<Entry> entries(String prefix) throws IOException {
        List<Entry> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            files.forEach(p -> {
                if (p.equals(root)) {
                    return;
                }
                String key = root.relativize(p).toString().replace(p.getFileSystem().getSeparator(), "/");
                if (!key.startsWith(prefix) || hidden(key)) {
                    return;
                }
                try {
                    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                    if (a.isRegularFile()) {
                        out.add(new Entry(key, a.size(), a.lastModifiedTime().toMillis()));
                    }
                } catch (IOException gone) {
                    // removed while listing: not part of the answer
                }
            });
        }
        out.sort((a, b) -> utf8Order(a.key, b.key));
        return out;
    }

    /** S3's listing order: the keys' UTF-8 bytes, unsigned (String's own order differs beyond U+FFFF). */
    static int utf8Order(String a, String b) {
        return java.util.Arrays.compareUnsigned(a.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                b.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static boolean hidden(String key) {
        for (String segment : key.split("/")) {
            if (segment.startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    /** S3's encoding-type=url: percent-encode everything but unreserved characters and '/'. */
    static String urlEncode(String s) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
                    || c == '.' || c == '~' || c == '/') {
                sb.append((char) c);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return sb.toString();
    }

    private static String xml(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    // ---------------------------------------------------------------- responses

    private void error(SocketChannel ch, Request req, int status, String code, String message, boolean close)
            throws IOException {
        error(ch, req, status, code, message, close, Map.of());
    }

    private void error(SocketChannel ch, Request req, int status, String code, String message, boolean close,
            Map<String, String> extra) throws IOException {
        String x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code + "</Code><Message>"
                + xml(message) + "</Message><Resource>" + xml(req.path) + "</Resource><RequestId>"
                + Long.toHexString(requests.get()) + "</RequestId></Error>";
        byte[] body = x.getBytes(StandardCharsets.UTF_8);
        Map<String, String> h = new LinkedHashMap<>(extra);
        h.put("Content-Type", "application/xml");
        h.put("Content-Length", Integer.toString(req.method.equals("HEAD") ? 0 : body.length));
        respond(ch, req, status, reason(status), h, close);
        if (!req.method.equals("HEAD")) {
            writeBody(ch, body);
        }
    }

    private void respond(SocketChannel ch, Request req, int status, String reason, Map<String, String> headers,
            boolean close) throws IOException {
        StringBuilder sb = new StringBuilder(256).append("HTTP/1.1 ").append(status).append(' ').append(reason)
                .append("\r\n");
        sb.append("Date: ").append(HTTP_DATE.format(Instant.now())).append("\r\n");
        sb.append("Server: sluice-local-s3\r\n");
        sb.append("x-amz-request-id: ").append(Long.toHexString(requests.get())).append("\r\n");
        for (Map.Entry<String, String> e : headers.entrySet()) {
            sb.append(e.getKey()).append(": ").append(e.getValue()).append("\r\n");
        }
        if (close) {
            sb.append("Connection: close\r\n");
        }
        sb.append("\r\n");
        ByteBuffer head = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
        while (head.hasRemaining()) {
            ch.write(head);
        }
        if (logLimit > 0 && log.size() < logLimit) {
            String range = req.header("range");
            log.add(req.method + " " + req.target + (range == null ? "" : " [" + range + "]") + " -> " + status);
        }
    }

    private void writeBody(SocketChannel ch, byte[] body) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(body);
        while (b.hasRemaining()) {
            bytesSent.addAndGet(ch.write(b));
        }
    }

    private static String reason(int status) {
        return switch (status) {
            case 400 -> "Bad Request";
            case 404 -> "Not Found";
            case 412 -> "Precondition Failed";
            case 416 -> "Requested Range Not Satisfiable";
            case 501 -> "Not Implemented";
            case 503 -> "Service Unavailable";
            default -> "Error";
        };
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // nothing to do for a channel that fails to close
        }
    }

    // ---------------------------------------------------------------- requests

    /** Request line and headers of one HTTP/1.1 request. */
    private static final class Request {
        final String method;
        final String target;
        final String path;
        final Map<String, String> query;
        final HttpHead head;

        private Request(String method, String target, HttpHead head) {
            this.method = method;
            this.target = target;
            this.head = head;
            int q = target.indexOf('?');
            this.path = decode(q < 0 ? target : target.substring(0, q), false);
            this.query = new LinkedHashMap<>();
            if (q >= 0) {
                for (String kv : target.substring(q + 1).split("&")) {
                    if (kv.isEmpty()) {
                        continue;
                    }
                    int eq = kv.indexOf('=');
                    query.put(decode(eq < 0 ? kv : kv.substring(0, eq), true),
                            eq < 0 ? "" : decode(kv.substring(eq + 1), true));
                }
            }
        }

        String header(String name) {
            return head.header(name);
        }

        /** Reads one request head; null if the connection ended before a request began. */
        static Request read(InputStream in) throws IOException {
            HttpHead head = HttpHead.read(in);
            if (head == null) {
                return null;
            }
            String[] parts = head.startLine().split(" ");
            if (parts.length != 3 || !parts[2].startsWith("HTTP/1.")) {
                throw new IOException("not an HTTP/1.x request line: '" + head.startLine() + "'");
            }
            return new Request(parts[0], parts[1], head);
        }

        /** Percent-decoding; '+' means a space only in the query. */
        private static String decode(String s, boolean query) {
            String t = query ? s : s.replace("+", "%2B");
            return URLDecoder.decode(t, StandardCharsets.UTF_8);
        }
    }
}
