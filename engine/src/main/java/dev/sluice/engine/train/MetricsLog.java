package dev.sluice.engine.train;

import dev.sluice.engine.report.JsonLine;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code metrics.jsonl} in the run directory: one JSON object per line, each with an {@code event}
 * ({@code step}, {@code epoch}, {@code summary}, ...). Appends, so a resumed run continues the file.
 * A number that is NaN or infinite is written as {@code null} (see {@link JsonLine}).
 */
public final class MetricsLog implements AutoCloseable {

    private final Path file;
    private final Object lock = new Object();
    private final int attempt;
    private BufferedWriter out;

    /**
     * A log that creates (or appends to) {@code file} when the first event is written. Every event
     * carries {@code attempt}: 1 for a new run, one more than the attempts already in the file for a
     * resumed one, so the rows of an interrupted attempt can be told from those written after it.
     */
    public MetricsLog(Path file) {
        this.file = file;
        this.attempt = attemptsIn(file) + 1;
    }

    /** The number of {@code start} events in an existing log (0 if there is none). */
    private static int attemptsIn(Path file) {
        if (!Files.isRegularFile(file)) {
            return 0;
        }
        try (var lines = Files.lines(file, StandardCharsets.UTF_8)) {
            return (int) lines.filter(l -> l.startsWith("{\"event\":\"start\"")).count();
        } catch (IOException | UncheckedIOException e) {
            throw new UncheckedIOException("could not read " + file + " to continue it", e instanceof IOException io
                    ? io : ((UncheckedIOException) e).getCause());
        }
    }

    /** This attempt's number (see the constructor). */
    public int attempt() {
        return attempt;
    }

    private BufferedWriter writer() throws IOException {
        if (out == null) {
            Files.createDirectories(file.getParent());
            out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        }
        return out;
    }

    /** A record builder: {@code log.event("step").put("loss", 0.3).write()}. */
    public Event event(String name) {
        return new Event(name);
    }

    /** Serializes one value as a JSON line (used for --json console output too). */
    public static String json(Map<String, Object> fields) {
        return JsonLine.encode(fields);
    }

    public Path file() {
        return file;
    }

    /** One line being built. */
    public final class Event {
        private final Map<String, Object> fields = new LinkedHashMap<>();

        private Event(String name) {
            fields.put("event", name);
            fields.put("attempt", attempt);
        }

        public Event put(String key, Object value) {
            fields.put(key, value);
            return this;
        }

        public Map<String, Object> fields() {
            return fields;
        }

        /** Appends the line. */
        public void write() {
            try {
                synchronized (lock) {
                    BufferedWriter w = writer();
                    w.write(JsonLine.encode(fields));
                    w.newLine();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("could not write " + file, e);
            }
        }
    }

    /** Forces written lines to disk (at epoch ends and checkpoints). */
    public void flush() throws IOException {
        synchronized (lock) {
            if (out != null) {
                out.flush();
            }
        }
    }

    @Override
    public void close() throws IOException {
        synchronized (lock) {
            if (out != null) {
                out.close();
            }
        }
    }
}
