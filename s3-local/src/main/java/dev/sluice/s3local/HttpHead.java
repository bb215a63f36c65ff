package dev.sluice.s3local;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The start line and headers of one HTTP/1.1 message, in order, as read from a connection: the one
 * parser of the local S3 server and the fault-injecting test proxy. Header names compare without
 * case; lines end with CRLF (a bare LF is accepted). Bounded: a line longer than {@link #MAX_LINE}
 * or more than {@link #MAX_HEADERS} headers is an {@link IOException}, never an endless read.
 */
public final class HttpHead {

    /** Longest start or header line accepted, in bytes. */
    public static final int MAX_LINE = 64 * 1024;
    /** Most headers accepted in one message. */
    public static final int MAX_HEADERS = 200;

    private final String startLine;
    private final List<String[]> headers = new ArrayList<>();

    /** A head with this start line and no headers yet. */
    public HttpHead(String startLine) {
        this.startLine = startLine;
    }

    /**
     * Reads one message head.
     *
     * @return the head, or null when the connection ended cleanly before a message began
     * @throws IOException if the connection ends inside the head or a line is malformed or too long
     */
    public static HttpHead read(InputStream in) throws IOException {
        String start = readLine(in);
        if (start == null) {
            return null;
        }
        HttpHead h = new HttpHead(start);
        for (int i = 0; i <= MAX_HEADERS; i++) {
            String line = readLine(in);
            if (line == null) {
                throw new EOFException("connection closed inside the headers");
            }
            if (line.isEmpty()) {
                return h;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new IOException("malformed header line '" + line + "'");
            }
            h.headers.add(new String[] {line.substring(0, colon).trim(), line.substring(colon + 1).trim()});
        }
        throw new IOException("more than " + MAX_HEADERS + " headers");
    }

    /**
     * Reads one line without its line end (also a chunk-size line of a chunked body).
     *
     * @return the line, or null when the stream ended before its first byte
     */
    public static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder(128);
        for (int i = 0; i < MAX_LINE; i++) {
            int c = in.read();
            if (c < 0) {
                if (sb.length() == 0) {
                    return null;
                }
                throw new EOFException("connection closed mid-line");
            }
            if (c == '\n') {
                int len = sb.length();
                if (len > 0 && sb.charAt(len - 1) == '\r') {
                    sb.setLength(len - 1);
                }
                return sb.toString();
            }
            sb.append((char) c);
        }
        throw new IOException("line longer than " + MAX_LINE + " bytes");
    }

    /** The request line or status line. */
    public String startLine() {
        return startLine;
    }

    /** The first value of a header, or null. */
    public String header(String name) {
        for (String[] kv : headers) {
            if (kv[0].equalsIgnoreCase(name)) {
                return kv[1];
            }
        }
        return null;
    }

    /** Removes every header of that name. */
    public void remove(String name) {
        headers.removeIf(kv -> kv[0].equalsIgnoreCase(name));
    }

    /** Sets a header, replacing its first value or appending it. */
    public void set(String name, String value) {
        for (String[] kv : headers) {
            if (kv[0].equalsIgnoreCase(name)) {
                kv[1] = value;
                return;
            }
        }
        headers.add(new String[] {name, value});
    }

    /** The head as sent on the wire, with the blank line that ends it. */
    public byte[] bytes() {
        StringBuilder sb = new StringBuilder(startLine).append("\r\n");
        for (String[] kv : headers) {
            sb.append(kv[0]).append(": ").append(kv[1]).append("\r\n");
        }
        return sb.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * A {@code Range} request header against an object of {@code size} bytes ({@code bytes=a-b},
     * {@code bytes=a-}, {@code bytes=-n}), as S3 reads it.
     *
     * @return {first, last}; an empty array when unsatisfiable (416); null when the header is to be
     *     ignored (not one byte range: the whole object is sent)
     */
    public static long[] byteRange(String header, long size) {
        if (!header.startsWith("bytes=") || header.indexOf(',') >= 0) {
            return null;
        }
        String spec = header.substring(6).trim();
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return null;
        }
        try {
            String a = spec.substring(0, dash).trim();
            String b = spec.substring(dash + 1).trim();
            if (a.isEmpty()) {
                if (b.isEmpty()) {
                    return null;
                }
                long n = Long.parseLong(b);
                if (n <= 0 || size == 0) {
                    return new long[0];
                }
                return new long[] {Math.max(0, size - n), size - 1};
            }
            long first = Long.parseLong(a);
            long last = b.isEmpty() ? size - 1 : Math.min(Long.parseLong(b), size - 1);
            if (first < 0 || (!b.isEmpty() && Long.parseLong(b) < first)) {
                return null;
            }
            if (first >= size) {
                return new long[0];
            }
            return new long[] {first, last};
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
