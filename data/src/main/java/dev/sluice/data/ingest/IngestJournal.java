package dev.sluice.data.ingest;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import dev.sluice.data.format.ShardInfo;
import dev.sluice.data.store.ObjectStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * What an ingest in progress has published, kept as the object {@value #KEY} next to the dataset
 * (a '.'-prefixed key: the format reserves those for temporary objects). It is rewritten after every
 * published shard and deleted when the manifest is committed, so its presence means an ingest was
 * interrupted; {@code --resume} reads it to skip the inputs its shards already hold.
 */
final class IngestJournal {

    /** Key of the journal object relative to the dataset root. */
    static final String KEY = ".ingest-journal.json";

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    /** One published shard and the inputs of its split consumed when it was cut. */
    static final class Entry {
        String key;
        long samples;
        long bytes;
        String crc32c;
        long inputs;
        long skipped;

        ShardInfo info() {
            return new ShardInfo(key, samples, bytes, Long.parseLong(crc32c, 16));
        }
    }

    String format = "sluice-ingest-journal/1";
    String run;
    String fingerprint;
    Map<String, List<Entry>> splits = new LinkedHashMap<>();
    Map<String, TreeSet<String>> encodings = new LinkedHashMap<>();
    List<String> skippedExamples = new ArrayList<>();

    IngestJournal() {}

    IngestJournal(String run, String fingerprint) {
        this.run = run;
        this.fingerprint = fingerprint;
    }

    /** The journal in {@code store}, or null if there is none. */
    static IngestJournal read(ObjectStore store) throws IOException {
        if (!store.exists(KEY)) {
            return null;
        }
        String json = new String(store.readAll(KEY), StandardCharsets.UTF_8);
        try {
            IngestJournal j = GSON.fromJson(json, IngestJournal.class);
            if (j == null || j.run == null || !"sluice-ingest-journal/1".equals(j.format) || j.splits == null) {
                throw new JsonParseException("not a journal of this version");
            }
            return j;
        } catch (JsonParseException | NumberFormatException e) {
            throw new InputException(store.location() + "/" + KEY + ": unreadable ingest journal (" + e.getMessage()
                    + "); delete it and the shards of the interrupted ingest, then ingest again", e);
        }
    }

    void add(String split, ShardInfo shard, long inputs, long skipped) {
        Entry e = new Entry();
        e.key = shard.key();
        e.samples = shard.samples();
        e.bytes = shard.bytes();
        e.crc32c = shard.crc32cHex();
        e.inputs = inputs;
        e.skipped = skipped;
        splits.computeIfAbsent(split, s -> new ArrayList<>()).add(e);
    }

    List<Entry> entries(String split) {
        return splits.getOrDefault(split, List.of());
    }

    void write(ObjectStore store) throws IOException {
        store.put(KEY, bytes());
    }

    /** The journal as it is stored. */
    byte[] bytes() {
        return GSON.toJson(this).getBytes(StandardCharsets.UTF_8);
    }
}
