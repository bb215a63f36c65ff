package dev.sluice.spark;

import dev.sluice.data.format.Dataset;
import dev.sluice.data.format.ShardInfo;
import dev.sluice.data.format.ShardView;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** Reads every sample of a split back with the normal reader: each shard loaded whole, its CRC checked. */
final class ReadBack {

    private ReadBack() {}

    /** Samples in dataset order; each sample is its fields' values, decompressed. */
    static List<byte[][]> samples(Dataset ds, String split) throws IOException {
        List<byte[][]> out = new ArrayList<>();
        int fields = ds.schema().size();
        for (ShardInfo shard : ds.manifest().split(split).shards()) {
            ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(shard.bytes()));
            ShardView view = ds.load(shard, buf, true);
            for (int i = 0; i < view.samples(); i++) {
                byte[][] sample = new byte[fields][];
                for (int f = 0; f < fields; f++) {
                    ByteBuffer v = ByteBuffer.allocate(view.valueBytes(f, i));
                    view.copy(f, i, v, 0);
                    sample[f] = v.array();
                }
                out.add(sample);
            }
        }
        return out;
    }
}
