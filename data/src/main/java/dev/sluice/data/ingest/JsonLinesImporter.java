package dev.sluice.data.ingest;

import com.github.luben.zstd.ZstdInputStream;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.sluice.data.format.FieldSpec;
import dev.sluice.data.format.Schema;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.zip.GZIPInputStream;

/**
 * Imports a JSON Lines file (plain, {@code .gz} or {@code .zst}) as one split: one JSON object a
 * line, from which the chosen fields are taken and typed ({@link FieldList}). Blank lines are
 * ignored; a line that is not a JSON object, or lacks a field, stops the ingest with the line number.
 * Lines are parsed on the worker threads.
 */
public final class JsonLinesImporter implements Importer {

    private final Path file;
    private final String split;
    private final Schema schema;
    private final String fieldSpec;
    private BufferedReader open;

    /**
     * @param fields e.g. {@code text:string,label:int64}
     */
    public JsonLinesImporter(Path file, String split, String fields) throws IOException {
        this.file = file.toAbsolutePath().normalize();
        this.split = split;
        this.fieldSpec = fields;
        if (!Files.isRegularFile(file)) {
            throw new IngestUsageException(file + " does not exist or is not a file");
        }
        try {
            this.schema = new Schema(FieldList.parse(fields));
        } catch (IllegalArgumentException e) {
            throw new IngestUsageException("jsonl:" + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Schema schema() {
        return schema;
    }

    @Override
    public List<String> splits() {
        return List.of(split);
    }

    @Override
    public long count(String s) {
        return -1;
    }

    private BufferedReader reader() throws IOException {
        InputStream in = Files.newInputStream(file);
        String name = file.getFileName().toString();
        try {
            if (name.endsWith(".gz")) {
                in = new GZIPInputStream(in, 1 << 16);
            } else if (name.endsWith(".zst")) {
                in = new ZstdInputStream(in);
            }
        } catch (IOException e) {
            in.close();
            throw new InputException(file + ": not a readable " + name.substring(name.lastIndexOf('.') + 1)
                    + " file (" + e.getMessage() + ")", e);
        }
        var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        return new BufferedReader(new InputStreamReader(in, decoder), 1 << 16);
    }

    @Override
    public Iterator<Input> inputs(String s) throws IOException {
        closeOpen();
        BufferedReader r = reader();
        open = r;
        return new Iterator<>() {
            long lineNo;
            String next;

            @Override
            public boolean hasNext() {
                while (next == null) {
                    String line;
                    try {
                        line = r.readLine();
                    } catch (IOException e) {
                        throw new UncheckedIOException(new InputException(file + ":" + (lineNo + 1) + ": cannot read ("
                                + e + "); is the file complete and UTF-8?", e));
                    }
                    if (line == null) {
                        return false;
                    }
                    lineNo++;
                    if (!line.isBlank()) {
                        next = line;
                    }
                }
                return true;
            }

            @Override
            public Input next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                Line l = new Line(file + ":" + lineNo, next, schema);
                next = null;
                return l;
            }
        };
    }

    private void closeOpen() throws IOException {
        if (open != null) {
            open.close();
            open = null;
        }
    }

    @Override
    public Map<String, String> metadata(String s) {
        return Map.of("source." + split, "jsonl:" + file);
    }

    @Override
    public String fingerprint() {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            size = -1;
        }
        return "jsonl:" + file + "|bytes=" + size + "|fields=" + fieldSpec + "|split=" + split;
    }

    @Override
    public void close() throws IOException {
        closeOpen();
    }

    /** One line, parsed on a worker. */
    private record Line(String where, String text, Schema schema) implements Input {

        @Override
        public Sample read() throws IOException {
            JsonElement e;
            try {
                e = JsonParser.parseString(text);
            } catch (JsonParseException ex) {
                throw new InputException(where + ": not valid JSON (" + ex.getMessage() + ")", ex);
            }
            if (!e.isJsonObject()) {
                throw new InputException(where + ": a JSON " + kind(e) + " where a JSON object was expected;"
                        + " jsonl: takes one object per line");
            }
            JsonObject o = e.getAsJsonObject();
            ByteBuffer[] values = new ByteBuffer[schema.size()];
            for (int f = 0; f < values.length; f++) {
                FieldSpec spec = schema.field(f);
                values[f] = JsonValues.encode(spec, o.get(spec.name()), where);
            }
            return new Sample(values, new String[values.length], text.length());
        }

        private static String kind(JsonElement e) {
            return e.isJsonArray() ? "array" : e.isJsonNull() ? "null" : e.getAsJsonPrimitive().isString() ? "string"
                    : e.getAsJsonPrimitive().isNumber() ? "number" : "boolean";
        }
    }
}
