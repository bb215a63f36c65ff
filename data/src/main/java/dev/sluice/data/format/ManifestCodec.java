package dev.sluice.data.format;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads and writes {@code manifest.json} exactly as docs/FORMAT.md describes. */
public final class ManifestCodec {

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    private ManifestCodec() {}

    /** Serializes a manifest to UTF-8 JSON. */
    public static byte[] encode(Manifest m) {
        JsonObject root = new JsonObject();
        root.addProperty("format", "sluice-dataset");
        root.addProperty("version", m.major() + "." + m.minor());
        root.addProperty("name", m.name());
        root.addProperty("created", m.created());
        JsonArray fields = new JsonArray();
        for (FieldSpec f : m.schema().fields()) {
            JsonObject o = new JsonObject();
            o.addProperty("name", f.name());
            o.addProperty("dtype", f.dtype().jsonName());
            JsonArray shape = new JsonArray();
            for (long d : f.shape()) {
                shape.add(d);
            }
            o.add("shape", shape);
            o.addProperty("compression", f.compression().jsonName());
            if (!f.classes().isEmpty()) {
                JsonArray cls = new JsonArray();
                f.classes().forEach(cls::add);
                o.add("classes", cls);
            }
            fields.add(o);
        }
        root.add("fields", fields);
        JsonObject splits = new JsonObject();
        for (Split s : m.splits().values()) {
            JsonObject so = new JsonObject();
            so.addProperty("samples", s.samples());
            so.addProperty("bytes", s.bytes());
            JsonArray shards = new JsonArray();
            for (ShardInfo sh : s.shards()) {
                JsonObject o = new JsonObject();
                o.addProperty("key", sh.key());
                o.addProperty("samples", sh.samples());
                o.addProperty("bytes", sh.bytes());
                o.addProperty("crc32c", sh.crc32cHex());
                shards.add(o);
            }
            so.add("shards", shards);
            splits.add(s.name(), so);
        }
        root.add("splits", splits);
        JsonObject meta = new JsonObject();
        m.metadata().forEach(meta::addProperty);
        root.add("metadata", meta);
        return (GSON.toJson(root) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Parses and validates a manifest.
     *
     * @param where printable location of the manifest, for error messages
     * @throws UnsupportedVersionException for a major version other than {@link Manifest#MAJOR}
     * @throws ManifestException for anything else that is wrong, naming the entry
     */
    public static Manifest decode(byte[] json, String where) throws FormatException {
        JsonObject root;
        try {
            JsonElement e = JsonParser.parseString(new String(json, StandardCharsets.UTF_8));
            if (!e.isJsonObject()) {
                throw new ManifestException(where + ": manifest must be a JSON object");
            }
            root = e.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new ManifestException(where + ": not valid JSON (" + e.getMessage()
                    + "); the dataset is damaged: re-run ingest", e);
        }
        try {
            String format = str(root, "format", where);
            if (!"sluice-dataset".equals(format)) {
                throw new ManifestException(where + ": \"format\" is '" + format
                        + "', expected 'sluice-dataset': this is not a Sluice dataset");
            }
            String version = str(root, "version", where);
            String[] parts = version.split("\\.");
            int major;
            int minor;
            try {
                major = Integer.parseInt(parts[0]);
                minor = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
            } catch (NumberFormatException e) {
                throw new ManifestException(where + ": \"version\" '" + version + "' is not MAJOR.MINOR");
            }
            if (major != Manifest.MAJOR) {
                throw new UnsupportedVersionException(where + ": format version " + version
                        + " is not supported by this reader (it reads major version " + Manifest.MAJOR
                        + "); use a Sluice release that reads version " + major + ".x");
            }
            List<FieldSpec> fields = new ArrayList<>();
            for (JsonElement fe : arr(root, "fields", where)) {
                JsonObject f = fe.getAsJsonObject();
                String name = str(f, "name", where);
                String ctx = where + ": field '" + name + "'";
                DType dt = DType.fromJsonName(str(f, "dtype", ctx));
                if (dt == null) {
                    throw new ManifestException(ctx + " has unknown dtype '" + str(f, "dtype", ctx) + "'");
                }
                JsonArray sh = arr(f, "shape", ctx);
                long[] shape = new long[sh.size()];
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = sh.get(i).getAsLong();
                }
                Compression c = f.has("compression")
                        ? Compression.fromJsonName(str(f, "compression", ctx)) : Compression.NONE;
                if (c == null) {
                    throw new ManifestException(ctx + " has unknown compression '" + str(f, "compression", ctx) + "'");
                }
                List<String> classes = new ArrayList<>();
                if (f.has("classes")) {
                    for (JsonElement ce : arr(f, "classes", ctx)) {
                        classes.add(ce.getAsString());
                    }
                }
                try {
                    fields.add(new FieldSpec(name, dt, shape, c, classes));
                } catch (IllegalArgumentException e) {
                    throw new ManifestException(ctx + ": " + e.getMessage(), e);
                }
            }
            Schema schema;
            try {
                schema = new Schema(fields);
            } catch (IllegalArgumentException e) {
                throw new ManifestException(where + ": " + e.getMessage(), e);
            }
            Map<String, Split> splits = new LinkedHashMap<>();
            JsonObject so = obj(root, "splits", where);
            for (Map.Entry<String, JsonElement> se : so.entrySet()) {
                String ctx = where + ": split '" + se.getKey() + "'";
                JsonObject s = se.getValue().getAsJsonObject();
                List<ShardInfo> shards = new ArrayList<>();
                for (JsonElement she : arr(s, "shards", ctx)) {
                    JsonObject sh = she.getAsJsonObject();
                    String key = str(sh, "key", ctx);
                    String crc = str(sh, "crc32c", ctx + " shard " + key);
                    long crcValue;
                    try {
                        crcValue = Long.parseLong(crc, 16);
                    } catch (NumberFormatException e) {
                        throw new ManifestException(ctx + " shard " + key + ": crc32c '" + crc + "' is not hex");
                    }
                    shards.add(new ShardInfo(key, num(sh, "samples", ctx), num(sh, "bytes", ctx), crcValue));
                }
                Split split = new Split(se.getKey(), shards);
                if (s.has("samples") && s.get("samples").getAsLong() != split.samples()) {
                    throw new ManifestException(ctx + " says " + s.get("samples").getAsLong()
                            + " samples but its shards hold " + split.samples());
                }
                splits.put(se.getKey(), split);
            }
            Map<String, String> meta = new LinkedHashMap<>();
            if (root.has("metadata")) {
                for (Map.Entry<String, JsonElement> me : obj(root, "metadata", where).entrySet()) {
                    meta.put(me.getKey(), me.getValue().getAsString());
                }
            }
            String created = root.has("created") ? root.get("created").getAsString() : "";
            return new Manifest(major, minor, str(root, "name", where), created, schema, splits, meta);
        } catch (IllegalStateException | UnsupportedOperationException | ClassCastException
                 | NumberFormatException e) {
            // NumberFormatException: a string where a number belongs, e.g. "shape": ["28"]
            throw new ManifestException(where + ": an entry has the wrong JSON type (" + e.getMessage() + ")", e);
        }
    }

    private static String str(JsonObject o, String key, String where) throws ManifestException {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonPrimitive()) {
            throw new ManifestException(where + ": missing string entry \"" + key + "\"");
        }
        return e.getAsString();
    }

    private static long num(JsonObject o, String key, String where) throws ManifestException {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw new ManifestException(where + ": missing number entry \"" + key + "\"");
        }
        long v = e.getAsLong();
        if (v < 0) {
            throw new ManifestException(where + ": \"" + key + "\" is negative");
        }
        return v;
    }

    private static JsonArray arr(JsonObject o, String key, String where) throws ManifestException {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonArray()) {
            throw new ManifestException(where + ": missing array entry \"" + key + "\"");
        }
        return e.getAsJsonArray();
    }

    private static JsonObject obj(JsonObject o, String key, String where) throws ManifestException {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonObject()) {
            throw new ManifestException(where + ": missing object entry \"" + key + "\"");
        }
        return e.getAsJsonObject();
    }
}
