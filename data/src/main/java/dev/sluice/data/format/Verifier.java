package dev.sluice.data.format;

import dev.sluice.data.memory.DirectAllocator;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Checks every shard of a dataset: size, CRC32C of the whole object, header and index, and that every
 * compressed value decompresses to its declared size. Reports each shard, good or bad, by name.
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
     * Checks all shards of all splits, calling {@code each} after every shard.
     *
     * @return one result per shard, in manifest order
     */
    public List<ShardCheck> verify(Consumer<ShardCheck> each) {
        long max = 1;
        for (Split s : dataset.manifest().splits().values()) {
            max = Math.max(max, s.maxShardBytes());
        }
        DirectAllocator mem = new DirectAllocator();
        ByteBuffer buf = mem.allocate((int) Math.min(max, Integer.MAX_VALUE - 8));
        ByteBuffer scratch = null;
        List<ShardCheck> out = new ArrayList<>();
        try {
            long sampleMax = 1;
            for (FieldSpec f : dataset.schema().fields()) {
                sampleMax = Math.max(sampleMax, f.sampleBytes());
            }
            scratch = mem.allocate((int) sampleMax);
            for (Split s : dataset.manifest().splits().values()) {
                for (ShardInfo sh : s.shards()) {
                    String problem = null;
                    try {
                        ShardView v = dataset.load(sh, buf, true);
                        for (int f = 0; f < dataset.schema().size(); f++) {
                            if (v.index().compressed(f)) {
                                for (int i = 0; i < v.samples(); i++) {
                                    v.copy(f, i, scratch, 0);
                                }
                            }
                        }
                    } catch (IOException | RuntimeException e) {
                        // never null: a null problem means a good shard
                        problem = e.getMessage() != null ? e.getMessage() : e.toString();
                    }
                    ShardCheck c = new ShardCheck(s.name(), sh, problem);
                    out.add(c);
                    each.accept(c);
                }
            }
        } finally {
            mem.free(buf);
            if (scratch != null) {
                mem.free(scratch);
            }
        }
        return out;
    }
}
