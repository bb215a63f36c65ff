package dev.sluice.data.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.data.format.Dataset;
import dev.sluice.data.format.Manifest;
import dev.sluice.data.store.FileStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderIngestTest {

    @TempDir
    Path tmp;

    static byte[] bytes(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return a;
    }

    static Ingest.Options options(Path tmp) {
        return Ingest.Options.defaults("test", tmp.resolve("staging")).withShardBytes(5_000).withThreads(3);
    }

    static List<String> keys(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }

    @Test
    void everySampleEqualsItsFileAndLabelsFollowSortedClassNames() throws IOException {
        Path src = tmp.resolve("images");
        // train and val splits; classes written out of order; val lacks one class
        String[] classes = {"zebra", "cat", "dog"};
        List<Path> expectTrain = new ArrayList<>();
        for (String split : List.of("train", "val")) {
            for (String c : classes) {
                if (split.equals("val") && c.equals("dog")) {
                    continue;
                }
                Path d = Files.createDirectories(src.resolve(split).resolve(c));
                for (int i = 0; i < 7; i++) {
                    Files.write(d.resolve(String.format("img%02d.jpg", i)), TestImages.encode("jpeg", 16 + i, 12, i + c.length()));
                }
            }
        }
        Path out = tmp.resolve("ds");
        try (FileStore store = new FileStore(out);
             ImageFolderImporter imp = new ImageFolderImporter(src, "train")) {
            Ingest.Result r = new Ingest(imp, store, options(tmp)).run();
            assertEquals(0, r.skipped());
            Manifest m = r.manifest();
            assertEquals(List.of("cat", "dog", "zebra"), m.schema().field("label").classes());
            assertEquals("jpeg", m.schema().field("image").encoding());
            assertEquals(21, m.split("train").samples());
            assertEquals(14, m.split("val").samples());
            assertTrue(m.split("train").shards().size() > 1, "small shard size gives several shards");
            Dataset ds = Dataset.open(store);
            for (String split : List.of("train", "val")) {
                long i = 0;
                for (String c : List.of("cat", "dog", "zebra")) {
                    Path d = src.resolve(split).resolve(c);
                    if (!Files.isDirectory(d)) {
                        continue;
                    }
                    for (int k = 0; k < 7; k++) {
                        byte[] file = Files.readAllBytes(d.resolve(String.format("img%02d.jpg", k)));
                        assertArrayEquals(file, bytes(ds.readValue(split, i, 0)), split + " sample " + i);
                        long label = ds.readValue(split, i, 1).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
                        assertEquals(List.of("cat", "dog", "zebra").indexOf(c), label);
                        i++;
                    }
                }
            }
            assertEquals("imagefolder:" + src.toAbsolutePath().resolve("val"), m.metadata().get("source.val"));
            assertFalse(store.exists(IngestJournal.KEY), "journal deleted at commit");
        }
    }

    @Test
    void unreadableFilesAreSkippedAndCountedOrFatalWhenStrict() throws IOException {
        Path src = tmp.resolve("flat");
        Path a = Files.createDirectories(src.resolve("a"));
        Path b = Files.createDirectories(src.resolve("b"));
        byte[] png = TestImages.encode("png", 9, 9, 1);
        byte[] jpg = TestImages.encode("jpeg", 9, 9, 2);
        Files.write(a.resolve("1.png"), png);
        Files.write(a.resolve("2.txt"), "not an image".getBytes());
        byte[] truncated = java.util.Arrays.copyOf(png, 20);
        Files.write(b.resolve("3.png"), truncated);
        Files.write(b.resolve("4.jpg"), jpg);
        Files.write(b.resolve(".DS_Store"), new byte[] {1, 2});
        try (FileStore store = new FileStore(tmp.resolve("ds"));
             ImageFolderImporter imp = new ImageFolderImporter(src, "all")) {
            Ingest.Result r = new Ingest(imp, store, options(tmp)).run();
            assertEquals(2, r.skipped());
            assertEquals(2, r.skippedExamples().size());
            assertTrue(r.skippedExamples().get(0).contains("2.txt"), r.skippedExamples().toString());
            assertTrue(r.skippedExamples().get(1).contains("3.png"), r.skippedExamples().toString());
            Dataset ds = Dataset.open(store);
            assertEquals(2, ds.manifest().split("all").samples());
            assertArrayEquals(png, bytes(ds.readValue("all", 0, 0)));
            assertArrayEquals(jpg, bytes(ds.readValue("all", 1, 0)));
            // mixed encodings: none recorded, readers recognise each value by its signature
            assertNull(ds.manifest().schema().field("image").encoding());
        }
        Path strictOut = tmp.resolve("strict");
        try (FileStore store = new FileStore(strictOut);
             ImageFolderImporter imp = new ImageFolderImporter(src, "all")) {
            InputException e = assertThrows(InputException.class,
                    () -> new Ingest(imp, store, options(tmp).withStrict(true)).run());
            assertTrue(e.getMessage().contains("2.txt") && e.getMessage().contains("--strict"), e.getMessage());
            assertEquals(List.of(), keys(strictOut), "nothing left behind");
        }
    }

    @Test
    void aFolderWithoutClassDirectoriesIsRefusedByName() throws IOException {
        Path src = Files.createDirectories(tmp.resolve("noclasses"));
        Files.write(src.resolve("x.jpg"), TestImages.encode("jpeg", 4, 4, 0));
        InputException e = assertThrows(InputException.class, () -> new ImageFolderImporter(src, "train"));
        assertTrue(e.getMessage().contains(src.toString()) && e.getMessage().contains("no class directories"),
                e.getMessage());
    }

    @Test
    void aSplitWithOnlyUnreadableFilesFailsAndLeavesNothing() throws IOException {
        Path src = tmp.resolve("bad");
        Files.write(Files.createDirectories(src.resolve("c")).resolve("x.jpg"), new byte[] {1, 2, 3});
        Path out = tmp.resolve("ds");
        try (FileStore store = new FileStore(out);
             ImageFolderImporter imp = new ImageFolderImporter(src, "train")) {
            InputException e = assertThrows(InputException.class, () -> new Ingest(imp, store, options(tmp)).run());
            assertTrue(e.getMessage().contains("no readable samples") && e.getMessage().contains("x.jpg"), e.getMessage());
        }
        assertEquals(List.of(), keys(out));
    }
}
