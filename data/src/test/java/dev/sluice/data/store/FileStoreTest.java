package dev.sluice.data.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileStoreTest {

    @TempDir
    Path tmp;

    @Test
    void readsQueuedWhenTheStoreClosesStillComplete() throws Exception {
        FileStore store = new FileStore(tmp.resolve("s"), 1);
        byte[] data = new byte[1 << 14];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31);
        }
        store.put("obj", data);
        // one read thread opens the file for every read: issuing runs far ahead of reading
        ByteBuffer dst = ByteBuffer.allocate(data.length);
        List<CompletableFuture<Void>> reads = new ArrayList<>();
        for (int i = 0; i < data.length; i += 4) {
            reads.add(store.readAsync("obj", i, dst.duplicate().position(i).limit(i + 4).slice()));
        }
        store.close();
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            for (CompletableFuture<Void> r : reads) {
                r.get();
            }
        }, "a read queued before close never completed");
        assertArrayEquals(data, dst.array());
    }

    @Test
    void readAsyncAfterCloseFailsItsFutureNamingTheKey() throws Exception {
        FileStore store = new FileStore(tmp.resolve("s"), 1);
        store.put("dir/obj", new byte[10]);
        store.close();
        CompletableFuture<Void> f = store.readAsync("dir/obj", 0, ByteBuffer.allocate(10));
        ExecutionException e = assertThrows(ExecutionException.class, f::get);
        StoreException se = assertInstanceOf(StoreException.class, e.getCause());
        assertTrue(se.getMessage().contains("dir/obj") && se.getMessage().contains("closed"), se.getMessage());
    }

    @Test
    void iterateListsKeysLazilyInCodePointOrderAndDirectoriesNamesTheSubdirectories() throws Exception {
        try (FileStore store = new FileStore(tmp.resolve("s"), 1)) {
            // '-' (0x2d) and '.' (0x2e) sort before '/' (0x2f): "b-x" and "b.y" come before the keys below "b/"
            for (String k : List.of("b/z", "b-x", "b.y", "a", "b/c/d", "c/e", "B", "b/.hidden", ".top")) {
                store.put(k, k.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            java.nio.file.Files.createDirectories(tmp.resolve("s/empty"));
            List<String> keys = new ArrayList<>();
            for (java.util.Iterator<ObjectInfo> it = store.iterate(""); it.hasNext(); ) {
                ObjectInfo o = it.next();
                keys.add(o.key());
                assertEquals(o.key().length(), o.size());
            }
            // the order S3 lists these keys in (UTF-8 bytes), worked by hand
            assertEquals(List.of("B", "a", "b-x", "b.y", "b/c/d", "b/z", "c/e"), keys);
            List<String> underB = new ArrayList<>();
            store.iterate("b/").forEachRemaining(o -> underB.add(o.key()));
            assertEquals(List.of("b/c/d", "b/z"), underB);
            List<String> startingB = new ArrayList<>();
            store.iterate("b").forEachRemaining(o -> startingB.add(o.key()));
            assertEquals(List.of("b-x", "b.y", "b/c/d", "b/z"), startingB);
            assertEquals(List.of("b", "c", "empty"), store.directories(""));
            assertEquals(List.of("c"), store.directories("b/"));
            assertEquals(List.of(), store.directories("missing/"));
        }
    }

    @Test
    void aLinkBackUpTheTreeFailsTheWalkNamingItWhileOtherLinksAreFollowed() throws Exception {
        try (FileStore store = new FileStore(tmp.resolve("s"), 1)) {
            store.put("a/b/x", new byte[] {1});
            store.put("other/y", new byte[] {2, 3});
            java.nio.file.Files.createSymbolicLink(tmp.resolve("s/a/link-to-other"), tmp.resolve("s/other"));
            List<String> keys = new ArrayList<>();
            store.iterate("a/").forEachRemaining(o -> keys.add(o.key()));
            assertEquals(List.of("a/b/x", "a/link-to-other/y"), keys, "a link to a sibling tree is followed");

            java.nio.file.Files.createSymbolicLink(tmp.resolve("s/a/b/loop"), tmp.resolve("s/a"));
            java.util.Iterator<ObjectInfo> it = store.iterate("a/");
            java.io.UncheckedIOException e = assertThrows(java.io.UncheckedIOException.class, () -> {
                while (it.hasNext()) {
                    it.next();
                }
            });
            StoreException se = assertInstanceOf(StoreException.class, e.getCause());
            assertTrue(se.getMessage().contains("a/b/loop") && se.getMessage().contains("loop"), se.getMessage());

            // listing from a/b/, the same link leads above the start of the walk: named where it is,
            // not one level further down
            java.util.Iterator<ObjectInfo> below = store.iterate("a/b/");
            java.io.UncheckedIOException e2 = assertThrows(java.io.UncheckedIOException.class, () -> {
                while (below.hasNext()) {
                    below.next();
                }
            });
            String m = e2.getCause().getMessage();
            assertTrue(m.contains("a/b/loop/ ") || m.contains("a/b/loop "), m);
            assertFalse(m.contains("a/b/loop/b"), m);
        }
    }

    @Test
    void removeTemporariesDeletesWhatKilledPutsAndPublishesLeftAndNothingElse() throws Exception {
        try (FileStore store = new FileStore(tmp.resolve("s"), 1)) {
            store.put("j.json", new byte[] {1});
            store.put("train/a.shard", new byte[] {2});
            // the names a put or publish killed before its rename leaves
            Path stale = tmp.resolve("s/.j.json.sluice-tmp-0f3508c8");
            Path staleShard = tmp.resolve("s/train/.b.shard.sluice-tmp-3f9b96e4");
            Path hidden = tmp.resolve("s/train/.keep");
            java.nio.file.Files.write(stale, new byte[] {9});
            java.nio.file.Files.write(staleShard, new byte[] {9});
            java.nio.file.Files.write(hidden, new byte[] {9});
            store.removeTemporaries();
            assertFalse(java.nio.file.Files.exists(stale));
            assertFalse(java.nio.file.Files.exists(staleShard));
            assertTrue(java.nio.file.Files.exists(hidden), "other hidden files are not temporaries");
            assertArrayEquals(new byte[] {1}, store.readAll("j.json"));
            assertArrayEquals(new byte[] {2}, store.readAll("train/a.shard"));
        }
    }

    @Test
    void listGivesKeysInTheOrderOfTheirUtf8BytesAsIterateDoes() throws Exception {
        try (FileStore store = new FileStore(tmp.resolve("order"), 1)) {
            // UTF-8: 'z' 7A, U+FF01 EF BC 81, U+1F600 F0 9F 98 80; String.compareTo puts U+1F600 first
            List<String> utf8Order = List.of("k/z", "k/\uFF01", "k/\uD83D\uDE00");
            for (String k : List.of(utf8Order.get(2), utf8Order.get(0), utf8Order.get(1))) {
                store.put(k, new byte[] {1});
            }
            assertEquals(utf8Order, store.list("k/").stream().map(ObjectInfo::key).toList());
            List<String> iterated = new ArrayList<>();
            store.iterate("k/").forEachRemaining(o -> iterated.add(o.key()));
            assertEquals(utf8Order, iterated);
        }
    }
}
