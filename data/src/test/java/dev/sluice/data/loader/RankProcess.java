package dev.sluice.data.loader;

import dev.sluice.data.format.Dataset;
import dev.sluice.data.memory.DirectAllocator;
import dev.sluice.data.store.FileStore;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * One rank as its own OS process, for {@link TwoProcessTest}: streams its share of an epoch and
 * prints what it saw.
 *
 * <p>Arguments: {@code DATASET_DIR RANK WORLD SEED BATCH MAX_BATCHES STATE_JSON}. Prints
 * {@code ids <comma-separated sample ids>}, {@code sha256 <digest of the ids>} and
 * {@code state <loader state JSON after the last batch>}; exits 0, or 1 with the error on stderr.
 */
public final class RankProcess {

    private RankProcess() {}

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        Path dir = Path.of(args[0]);
        int rank = Integer.parseInt(args[1]);
        int world = Integer.parseInt(args[2]);
        long seed = Long.parseLong(args[3]);
        int batch = Integer.parseInt(args[4]);
        int maxBatches = Integer.parseInt(args[5]);
        LoaderState state = LoaderState.fromJson(args[6]);
        LoaderConfig cfg = LoaderConfig.training("train", batch, seed).withRank(rank, world).withDropLast(false);
        List<Long> ids = new ArrayList<>();
        LoaderState after;
        try (FileStore store = new FileStore(dir);
             Loader loader = new Loader(Dataset.open(store), cfg, new DirectAllocator());
             EpochStream s = loader.open(state)) {
            for (int n = 0; n < maxBatches; n++) {
                HostBatch b = s.next();
                if (b == null) {
                    break;
                }
                try (b) {
                    for (int i = 0; i < b.size(); i++) {
                        ids.add(b.sampleId(i));
                    }
                }
            }
            after = s.state();
        }
        StringJoiner j = new StringJoiner(",");
        long[] arr = new long[ids.size()];
        for (int i = 0; i < arr.length; i++) {
            arr[i] = ids.get(i);
            j.add(Long.toString(arr[i]));
        }
        out.println("ids " + j);
        out.println("sha256 " + EpochOrderTest.sha256(arr));
        out.println("state " + after.toJson());
    }
}
