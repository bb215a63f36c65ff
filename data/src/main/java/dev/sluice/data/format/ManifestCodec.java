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
            if (f.encoding() != null) {
                o.addProperty("encoding", f.encoding());
            }
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
            throw new ManifestException(where + ": not valid JSON (" + jsonProblem(e)
                    + "); the dataset is damaged: re-run ingest", e);
        }
        try {
            String format = str(root, "format", where);
            if (!"sluice-dataset".equals(format)) {
                throw new ManifestException(where + ": \"format\" is '" + format
                        + "', expected 'sluice-dataset': this is not a Sluice dataset");
            }
            String version = str(root, "version", where);
            java.util.regex.Matcher vm = VERSION.matcher(version);
            if (!vm.matches()) {
                throw new ManifestException(where + ": \"version\" '" + version
                        + "' is not MAJOR.MINOR (two decimal numbers, e.g. \"1.1\")");
            }
            int major = Integer.parseInt(vm.group(1));
            int minor = Integer.parseInt(vm.group(2));
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
                    shape[i] = whole(sh.get(i), ctx + " shape[" + i + "]");
                }
                String encoding = f.has("encoding") ? str(f, "encoding", ctx) : null;
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
                    fields.add(new FieldSpec(name, dt, shape, c, classes, encoding));
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
                    checkKey(key, ctx);
                    String crc = str(sh, "crc32c", ctx + " shard " + key);
                    if (!crc.matches("[0-9a-f]{8}")) {
                        throw new ManifestException(ctx + " shard " + key + ": crc32c '" + crc
                                + "' is not 8 lower-case hex digits (the checksum printed as %08x)");
                    }
                    long crcValue = Long.parseLong(crc, 16);
                    long samples = num(sh, "samples", ctx + " shard " + key);
                    if (samples == 0) {
                        throw new ManifestException(ctx + " shard " + key + " holds 0 samples; a shard holds at least"
                                + " one (a split with no samples lists no shards)");
                    }
                    shards.add(new ShardInfo(key, samples, num(sh, "bytes", ctx + " shard " + key), crcValue));
                }
                Split split = new Split(se.getKey(), shards);
                if (s.has("samples") && whole(s.get("samples"), ctx + " \"samples\"") != split.samples()) {
                    throw new ManifestException(ctx + " says " + s.get("samples")
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

    private static final java.util.regex.Pattern VERSION = java.util.regex.Pattern.compile("(\\d{1,4})\\.(\\d{1,4})");

    /**
     * A shard key must stay below the dataset's prefix and outside the names reserved for temporary
     * files: relative, {@code /}-separated, no empty, {@code .}-leading (so no {@code ..}) segment, no
     * backslash or control character.
     */
    static void checkKey(String key, String ctx) throws ManifestException {
        boolean ok = !key.isEmpty();
        for (String seg : key.split("/", -1)) {
            ok &= !seg.isEmpty() && !seg.startsWith(".");
        }
        for (int i = 0; i < key.length() && ok; i++) {
            char ch = key.charAt(i);
            ok = ch >= 0x20 && ch != 0x7f && ch != '\\';
        }
        if (!ok) {
            throw new ManifestException(ctx + ": shard key '" + key + "' is unsafe: keys are relative, '/'-separated,"
                    + " with no empty segment, no segment starting with '.' (such as '..'), no backslash and no"
                    + " control character");
        }
    }

    /** Gson's message without its advice to the programmer ("Use JsonReader.setStrictness..."). */
    private static String jsonProblem(JsonParseException e) {
        Throwable t = e.getCause() != null ? e.getCause() : e;
        String msg = String.valueOf(t.getMessage());
        int advice = msg.indexOf("\nSee https://");
        msg = advice >= 0 ? msg.substring(0, advice) : msg;
        int use = msg.indexOf(" Use JsonReader.");
        return (use >= 0 ? msg.substring(0, use) : msg).trim();
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
        long v = whole(e, where + ": \"" + key + "\"");
        if (v < 0) {
            throw new ManifestException(where + ": \"" + key + "\" is negative");
        }
        return v;
    }

    /** A JSON number that is a whole number fitting a long; never silently truncated. */
    private static long whole(JsonElement e, String what) throws ManifestException {
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw new ManifestException(what + " is " + e + ", not a number");
        }
        java.math.BigDecimal d = e.getAsBigDecimal();
        try {
            return d.longValueExact();
        } catch (ArithmeticException notWhole) {
            throw new ManifestException(what + " is " + d.toPlainString() + ", not a whole number that fits 64 bits");
        }
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
