package dev.sluice.engine.checkpoint;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The checkpoint file: {@code "SLUICECK"}, a version, a JSON header (step, epoch, loader state,
 * config, tensor directory), the tensors' bytes back to back, and a CRC-32C of everything before it,
 * so a truncated or damaged file is recognized and skipped.
 */
public final class CheckpointCodec {

    private static final byte[] MAGIC = {'S', 'L', 'U', 'I', 'C', 'E', 'C', 'K'};
    private static final int VERSION = 1;
    private static final Gson GSON = new Gson();

    private CheckpointCodec() {}

    /** Writes the checkpoint to a local file and fsyncs it. */
    public static void write(Checkpoint cp, Path file) throws IOException {
        JsonObject h = new JsonObject();
        h.addProperty("step", cp.step());
        h.addProperty("epoch", cp.epoch());
        h.addProperty("loader_state", cp.loaderState());
        h.addProperty("optimizer_steps", cp.optimizerSteps());
        h.addProperty("skipped_batches", cp.skippedBatches());
        h.add("config", GSON.toJsonTree(new java.util.TreeMap<>(cp.config())));
        JsonArray dir = new JsonArray();
        long offset = 0;
        for (Map.Entry<String, Checkpoint.Tensor> e : cp.tensors().entrySet()) {
            JsonObject t = new JsonObject();
            t.addProperty("name", e.getKey());
            t.addProperty("dtype", e.getValue().dtype());
            t.add("shape", GSON.toJsonTree(e.getValue().shape()));
            t.addProperty("offset", offset);
            t.addProperty("bytes", e.getValue().data().limit());
            offset += e.getValue().data().limit();
            dir.add(t);
        }
        h.add("tensors", dir);
        byte[] header = GSON.toJson(h).getBytes(StandardCharsets.UTF_8);
        ByteBuffer head = ByteBuffer.allocate(16 + header.length).order(ByteOrder.LITTLE_ENDIAN);
        head.put(MAGIC).putInt(VERSION).putInt(header.length).put(header).flip();
        CRC32C crc = new CRC32C();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            crc.update(head.duplicate());
            writeFully(ch, head);
            for (Checkpoint.Tensor t : cp.tensors().values()) {
                ByteBuffer d = t.data().duplicate().position(0);
                crc.update(d.duplicate());
                writeFully(ch, d);
            }
            ByteBuffer tail = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, (int) crc.getValue());
            writeFully(ch, tail);
            ch.force(true);
        }
    }

    /**
     * Parses a whole checkpoint file's bytes.
     *
     * @param where printable location for errors
     * @throws CheckpointException if the bytes are truncated, damaged or of another version
     */
    public static Checkpoint read(ByteBuffer bytes, String where) throws CheckpointException {
        ByteBuffer b = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int n = b.remaining();
        if (n < 20) {
            throw new CheckpointException(where + ": only " + n + " bytes; the checkpoint is truncated");
        }
        byte[] magic = new byte[8];
        b.duplicate().get(magic);
        if (!java.util.Arrays.equals(magic, MAGIC)) {
            throw new CheckpointException(where + ": not a Sluice checkpoint (bad magic)");
        }
        CRC32C crc = new CRC32C();
        crc.update(b.duplicate().limit(b.position() + n - 4));
        long stored = Integer.toUnsignedLong(b.getInt(b.position() + n - 4));
        if (crc.getValue() != stored) {
            throw new CheckpointException(String.format("%s: CRC32C is %08x but the file says %08x; the checkpoint is"
                    + " damaged or was cut short", where, crc.getValue(), stored));
        }
        int base = b.position();
        int version = b.getInt(base + 8);
        if (version != VERSION) {
            throw new CheckpointException(where + ": checkpoint format version " + version
                    + " is not supported (this build reads version " + VERSION + ")");
        }
        int hlen = b.getInt(base + 12);
        byte[] header = new byte[hlen];
        b.duplicate().position(base + 16).get(header);
        JsonObject h = JsonParser.parseString(new String(header, StandardCharsets.UTF_8)).getAsJsonObject();
        Map<String, String> config = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : h.getAsJsonObject("config").entrySet()) {
            config.put(e.getKey(), e.getValue().getAsString());
        }
        Map<String, Checkpoint.Tensor> tensors = new LinkedHashMap<>();
        int dataStart = base + 16 + hlen;
        for (JsonElement te : h.getAsJsonArray("tensors")) {
            JsonObject t = te.getAsJsonObject();
            List<Long> shape = new ArrayList<>();
            t.getAsJsonArray("shape").forEach(d -> shape.add(d.getAsLong()));
            long off = t.get("offset").getAsLong();
            long len = t.get("bytes").getAsLong();
            if (dataStart + off + len > base + n - 4) {
                throw new CheckpointException(where + ": tensor " + t.get("name").getAsString()
                        + " lies past the end of the file");
            }
            ByteBuffer data = b.duplicate().position((int) (dataStart + off)).limit((int) (dataStart + off + len))
                    .slice().order(ByteOrder.LITTLE_ENDIAN);
            tensors.put(t.get("name").getAsString(), new Checkpoint.Tensor(t.get("dtype").getAsString(), shape, data));
        }
        return new Checkpoint(h.get("step").getAsLong(), h.get("epoch").getAsLong(),
                h.get("loader_state").getAsString(), h.get("optimizer_steps").getAsLong(),
                // absent in checkpoints written before the count was kept
                h.has("skipped_batches") ? h.get("skipped_batches").getAsLong() : 0, config, tensors);
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }
}
