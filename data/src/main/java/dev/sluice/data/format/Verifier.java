package dev.sluice.data.format;

import dev.sluice.data.memory.DirectAllocator;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Checks every shard of a dataset: presence and size, header and index, CRC32C of the whole object,
 * that every compressed value decompresses to its declared size and every string is valid UTF-8.
 * Reports each shard, good or bad, by name, and goes on after a bad one.
 */
public final class Verifier {

    private final Dataset dataset;

    public Verifier(Dataset dataset) {
        this.dataset = dataset;
    }

    /**
     * Result for one shard.
     *
     * @param split split the shard belongs to
     * @param shard the manifest entry
     * @param problem what is wrong, or null if the shard is good
     */
    public record ShardCheck(String split, ShardInfo shard, String problem) {
        public boolean ok() {
            return problem == null;
        }
    }

    /**
     * Checks all shards of all splits, calling {@code each} after every shard. A shard that is
     * missing, has the wrong size, or fails any check is reported and the others are still checked.
     *
     * @return one result per shard, in manifest order
     * @throws IOException if the store cannot be listed
     */
    public List<ShardCheck> verify(Consumer<ShardCheck> each) throws IOException {
        Map<String, FormatException> sizeProblems = dataset.checkShardSizes();
        long max = 1;
        for (Split s : dataset.manifest().splits().values()) {
            max = Math.max(max, s.maxShardBytes());
        }
        DirectAllocator mem = new DirectAllocator();
        ByteBuffer buf = mem.allocate((int) Math.min(max, Integer.MAX_VALUE - 8));
        List<ShardCheck> out = new ArrayList<>();
        try {
            for (Split s : dataset.manifest().splits().values()) {
                for (ShardInfo sh : s.shards()) {
                    FormatException bad = sizeProblems.get(sh.key());
                    String problem = bad == null ? null : bad.getMessage();
                    if (bad == null) {
                        try {
                            checkValues(dataset.load(sh, buf, true));
                        } catch (IOException | RuntimeException e) {
                            // never null: a null problem means a good shard
                            problem = e.getMessage() != null ? e.getMessage() : e.toString();
                        }
                    }
                    ShardCheck c = new ShardCheck(s.name(), sh, problem);
                    out.add(c);
                    each.accept(c);
                }
            }
        } finally {
            mem.free(buf);
        }
        return out;
    }

    /** Decompresses every compressed value and checks every string value's UTF-8. */
    private void checkValues(ShardView v) throws CorruptShardException {
        Schema schema = dataset.schema();
        ByteBuffer scratch = ByteBuffer.allocate(0);
        for (int f = 0; f < schema.size(); f++) {
            FieldSpec spec = schema.field(f);
            boolean text = spec.dtype() == DType.STRING;
            if (!v.index().compressed(f) && !text) {
                continue;
            }
            for (int i = 0; i < v.samples(); i++) {
                int n = v.valueBytes(f, i);
                if (scratch.capacity() < n) {
                    scratch = ByteBuffer.allocate(Math.max(n, scratch.capacity() * 2));
                }
                v.copy(f, i, scratch, 0);
                if (text) {
                    Utf8.check(scratch.duplicate().limit(n), v.index().where() + ": value of string field '"
                            + spec.name() + "' of sample " + i);
                }
            }
        }
    }
}
