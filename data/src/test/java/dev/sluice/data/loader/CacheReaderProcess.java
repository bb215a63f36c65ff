package dev.sluice.data.loader;

import dev.sluice.data.format.Dataset;
import dev.sluice.data.memory.DirectAllocator;
import dev.sluice.data.store.HedgePolicy;
import dev.sluice.data.store.S3Store;
import dev.sluice.data.store.S3TestSupport;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * A process of a node sharing a shard cache, for {@link SharedCacheTest}.
 *
 * <p>{@code read ENDPOINT LOCATION CACHE_DIR BUDGET}: reads one evaluation epoch of the dataset at
 * {@code s3://...} LOCATION on the S3 server at ENDPOINT through the shard cache, and prints
 * {@code sha256 <digest of every batch's sample ids and field bytes>} and
 * {@code cache <hits> <misses> <fills> <waits>}.
 *
 * <p>{@code pin CACHE_DIR ENTRY_FILE_NAME}: holds an entry's reader pin, as a reader copying the
 * entry does, prints {@code pinned}, and lets go when its standard input ends.
 *
 * <p>{@code hold CACHE_DIR ENTRY_X ENTRY_Y}: takes entry X's claim, prints {@code holding}, waits for
 * entry Y's claim (as a second download thread would), prints {@code got}, lets go of both, and prints {@code reports <deadlocks the kernel reported>}.
 */
public final class CacheReaderProcess {

    static final int BATCH = 16;
    static final long PART_BYTES = 16 << 10;

    private CacheReaderProcess() {}

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        if (args[0].equals("pin")) {
            Path dir = Path.of(args[1]).toRealPath();
            try (CacheLocks.Pin pin = CacheLocks.of(dir).pin(ShardCache.id(dir.resolve(args[2])))) {
                out.println("pinned");
                new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).lines().count();
            }
            return;
        }
        if (args[0].equals("hold")) {
            Path dir = Path.of(args[1]).toRealPath();
            CacheLocks locks = CacheLocks.of(dir);
            try (CacheLocks.Claim x = locks.claim(ShardCache.id(dir.resolve(args[2])))) {
                out.println("holding");
                try (CacheLocks.Claim y = locks.claim(ShardCache.id(dir.resolve(args[3])))) {
                    out.println("got");
                }
            }
            out.println("reports " + locks.deadlockReports());
            return;
        }
        try (S3Store store = S3Store.open(args[2], S3TestSupport.options(args[1]).withHedge(HedgePolicy.off()))) {
            ShardCache cache = new ShardCache(Path.of(args[3]), Long.parseLong(args[4]));
            out.println("sha256 " + epochDigest(Dataset.open(store), cache));
            out.println("cache " + cache.hits() + " " + cache.misses() + " " + cache.fills() + " " + cache.waits());
        }
    }

    /** Digest of one evaluation epoch: every batch's sample ids and field bytes, in order. */
    static String epochDigest(Dataset ds, ShardCache cache) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        LoaderConfig cfg = LoaderConfig.evaluation("train", BATCH).withIo(2, PART_BYTES, 4);
        ByteBuffer id = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        try (Loader l = new Loader(ds, cfg, new DirectAllocator(), null, cache);
             EpochStream s = l.open(LoaderState.start(0, 0))) {
            for (HostBatch next = s.next(); next != null; next = s.next()) {
                try (HostBatch b = next) {
                    for (int i = 0; i < b.size(); i++) {
                        md.update(id.clear().putLong(b.sampleId(i)).flip());
                    }
                    for (int f = 0; f < b.fields().size(); f++) {
                        md.update(b.buffer(f).duplicate());
                    }
                }
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
