package dev.sluice.engine.bench;

import dev.sluice.engine.report.JsonLine;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The one output path of every {@code bench} command: each result is a row with the benchmark's
 * name and a mode ({@code raw}, {@code loader}, {@code summary}, ...), printed as a line of text for
 * people or, with {@code --json}, as one JSON object per line with the same fields.
 */
public final class BenchReport {

    private final Consumer<String> out;
    private final boolean json;
    private final String bench;

    private BenchReport(Consumer<String> out, boolean json, String bench) {
        this.out = out;
        this.json = json;
        this.bench = bench;
    }

    /** A report of benchmark {@code bench} to {@code out}, as JSON lines when {@code json}. */
    public static BenchReport to(PrintStream out, boolean json, String bench) {
        return new BenchReport(out::println, json, bench);
    }

    /** As above, for a writer. */
    public static BenchReport to(PrintWriter out, boolean json, String bench) {
        return new BenchReport(out::println, json, bench);
    }

    /** Whether rows are printed as JSON. */
    public boolean json() {
        return json;
    }

    /** A line only people read (a table heading, a note); not printed with {@code --json}. */
    public void note(String text) {
        if (!json) {
            out.accept(text);
        }
    }

    /** A result row of this benchmark in the given mode; fill it, then {@link Row#print} it. */
    public Row row(String mode) {
        return new Row(mode);
    }

    /** One result: its fields and the text a person reads. */
    public final class Row {
        private final Map<String, Object> fields = new LinkedHashMap<>();

        private Row(String mode) {
            fields.put("bench", bench);
            fields.put("mode", mode);
        }

        public Row put(String key, Object value) {
            fields.put(key, value);
            return this;
        }

        /** The fields so far (bench and mode first). */
        public Map<String, Object> fields() {
            return fields;
        }

        /** Prints the row: its JSON with {@code --json}, else {@code text}. */
        public void print(String text) {
            out.accept(json ? JsonLine.encode(fields) : text);
        }
    }
}
