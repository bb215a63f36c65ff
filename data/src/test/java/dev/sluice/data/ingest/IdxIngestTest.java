package dev.sluice.data.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sluice.data.format.Dataset;
import dev.sluice.data.format.Manifest;
import dev.sluice.data.loader.EpochStream;
import dev.sluice.data.loader.HostBatch;
import dev.sluice.data.loader.Loader;
import dev.sluice.data.loader.LoaderConfig;
import dev.sluice.data.loader.LoaderState;
import dev.sluice.data.memory.DirectAllocator;
import dev.sluice.data.store.FileStore;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxIngestTest {

    static final Path FASHION = Path.of("/usr/share/datasets/fashion-mnist");

    @TempDir
    Path tmp;

    /** Writes an IDX pair of {@code n} images of rows x cols with known bytes. */
    static void writeIdx(Path images, Path labels, int n, int rows, int cols, boolean gzip) throws IOException {
        try (DataOutputStream img = new DataOutputStream(open(images, gzip));
             DataOutputStream lab = new DataOutputStream(open(labels, gzip))) {
            img.writeInt(0x00000803);
            img.writeInt(n);
            img.writeInt(rows);
            img.writeInt(cols);
            lab.writeInt(0x00000801);
            lab.writeInt(n);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < rows * cols; j++) {
                    img.write((i * 31 + j * 7) & 0xff);
                }
                lab.write(i % 10);
            }
        }
    }

    private static OutputStream open(Path p, boolean gzip) throws IOException {
        OutputStream o = Files.newOutputStream(p);
        return gzip ? new GZIPOutputStream(o) : o;
    }

    static Manifest ingest(Path images, Path labels, FileStore store, Path staging, long shardBytes)
            throws IOException {
        return ingest(IdxImporter.of("train", images, labels), store, staging, shardBytes, false);
    }

    static Manifest ingest(IdxImporter imp, FileStore store, Path staging, long shardBytes, boolean replace)
            throws IOException {
        try (imp) {
            return new Ingest(imp, store, Ingest.Options.defaults("idx", staging).withShardBytes(shardBytes)
                    .withReplace(replace)).run().manifest();
        }
    }

    @Test
    void fashionMnistRoundTripsByteForByte() throws IOException {
        assumeTrue(Files.isDirectory(FASHION), "install Debian's dataset-fashion-mnist to run this test");
        Path images = FASHION.resolve("t10k-images-idx3-ubyte.gz");
        Path labels = FASHION.resolve("t10k-labels-idx1-ubyte.gz");
        byte[] img = gunzip(images);
        byte[] lab = gunzip(labels);
        try (FileStore store = new FileStore(tmp.resolve("fm"))) {
            IdxImporter imp = new IdxImporter(Map.of("test", new IdxImporter.Files(images, labels)),
                    IdxImporter.FASHION_MNIST_CLASSES, Set.of(), Map.of());
            ingest(imp, store, tmp.resolve("st"), 2 << 20, false);
            Dataset ds = Dataset.open(store);
            assertEquals(10_000, ds.manifest().split("test").samples());
            assertTrue(ds.manifest().split("test").shards().size() >= 3);
            assertEquals(List.of(28L, 28L, 1L), List.of(ds.schema().field("image").shape()[0],
                    ds.schema().field("image").shape()[1], ds.schema().field("image").shape()[2]));
            assertEquals("Ankle boot", ds.schema().field("label").classes().get(9));
            // every sample through the loader equals the IDX bytes (16-byte and 8-byte headers)
            int seen = 0;
            try (Loader l = new Loader(ds, LoaderConfig.evaluation("test", 256), new DirectAllocator());
                 EpochStream s = l.open(LoaderState.start(0, 0))) {
                for (HostBatch b = s.next(); b != null; b = s.next()) {
                    try (HostBatch batch = b) {
                        for (int i = 0; i < batch.size(); i++) {
                            int id = (int) batch.sampleId(i);
                            byte[] got = new byte[784];
                            batch.buffer(0).get(i * 784, got);
                            byte[] want = java.util.Arrays.copyOfRange(img, 16 + id * 784, 16 + (id + 1) * 784);
                            assertArrayEquals(want, got, "image " + id);
                            assertEquals(lab[8 + id], batch.buffer(1).get(i), "label " + id);
                            seen++;
                        }
                    }
                }
            }
            assertEquals(10_000, seen);
            // random access by index
            ByteBuffer one = ByteBuffer.allocate(784);
            ds.readSample("test", 7777, 0, one);
            assertArrayEquals(java.util.Arrays.copyOfRange(img, 16 + 7777 * 784, 16 + 7778 * 784), one.array());
        }
    }

    @Test
    void plainAndGzipIdxGiveTheSameDataset() throws IOException {
        writeIdx(tmp.resolve("i"), tmp.resolve("l"), 300, 5, 4, false);
        writeIdx(tmp.resolve("i.gz"), tmp.resolve("l.gz"), 300, 5, 4, true);
        try (FileStore a = new FileStore(tmp.resolve("a")); FileStore b = new FileStore(tmp.resolve("b"))) {
            Manifest ma = ingest(tmp.resolve("i"), tmp.resolve("l"), a, tmp.resolve("sa"), 1 << 20);
            Manifest mb = ingest(tmp.resolve("i.gz"), tmp.resolve("l.gz"), b, tmp.resolve("sb"), 1 << 20);
            assertEquals(ma.split("train").shards().get(0).crc32c(), mb.split("train").shards().get(0).crc32c());
            ByteBuffer px = ByteBuffer.allocate(20);
            Dataset.open(a).readSample("train", 123, 0, px);
            for (int j = 0; j < 20; j++) {
                assertEquals((byte) ((123 * 31 + j * 7) & 0xff), px.get(j));
            }
        }
    }

    @Test
    void swappedFilesGiveAWrongMagicErrorNamingTheFile() throws IOException {
        writeIdx(tmp.resolve("i"), tmp.resolve("l"), 10, 5, 4, false);
        IdxImporter swapped = IdxImporter.of("train", tmp.resolve("l"), tmp.resolve("i"));
        IdxFormatException e = assertThrows(IdxFormatException.class, swapped::schema);
        assertTrue(e.getMessage().contains(tmp.resolve("i").toString()) || e.getMessage().contains(tmp.resolve("l").toString()));
        assertTrue(e.getMessage().contains("wrong magic number"), e.getMessage());
    }

    @Test
    void aCorruptGzipNamesTheFile() throws IOException {
        Path images = tmp.resolve("i.gz");
        writeIdx(images, tmp.resolve("l.gz"), 2000, 28, 28, true);
        byte[] gz = Files.readAllBytes(images);
        // damage the deflate stream just after the 10-byte gzip header; the header stays valid
        for (int i = 40; i < 240; i++) {
            gz[i] = (byte) (i * 37);
        }
        Files.write(images, gz);
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> {
            try (IdxFile f = IdxFile.open(images, 3)) {
                byte[] item = new byte[f.itemBytes()];
                for (int i = 0; i < f.count(); i++) {
                    f.next(item);
                }
            }
        });
        assertTrue(e.getMessage().startsWith(images + ": the gzip data is corrupt ("), e.getMessage());
        assertTrue(e.getMessage().contains("gzip -t"), e.getMessage());
        assertTrue(e.getCause() instanceof java.util.zip.ZipException, String.valueOf(e.getCause()));
    }

    @Test
    void failedIngestLeavesNothingBehind() throws IOException {
        writeIdx(tmp.resolve("i"), tmp.resolve("l"), 400, 10, 10, false);
        // cut the images file short: the header promises 400 images, the file holds ~250
        byte[] all = Files.readAllBytes(tmp.resolve("i"));
        Files.write(tmp.resolve("i"), java.util.Arrays.copyOf(all, 16 + 250 * 100 + 7));
        Path root = tmp.resolve("out");
        try (FileStore store = new FileStore(root)) {
            IdxFormatException e = assertThrows(IdxFormatException.class,
                    () -> ingest(tmp.resolve("i"), tmp.resolve("l"), store, root.resolve(".staging"), 3_000));
            assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains(tmp.resolve("i").toString()),
                    e.getMessage());
            assertTrue(store.list("").isEmpty(), "no shard and no manifest remain: " + store.list(""));
            assertFalse(store.exists(Manifest.KEY));
            try (Stream<Path> left = Files.walk(root)) {
                assertTrue(left.noneMatch(p -> Files.isRegularFile(p)), "no temporary or staging files remain");
            }
        }
    }

    @Test
    void reingestingASplitKeepsTheOtherSplitsAndRemovesOldShards() throws IOException {
        writeIdx(tmp.resolve("i"), tmp.resolve("l"), 100, 4, 4, false);
        try (FileStore store = new FileStore(tmp.resolve("ds"))) {
            IdxImporter.Files files = new IdxImporter.Files(tmp.resolve("i"), tmp.resolve("l"));
            Map<String, IdxImporter.Files> both = new java.util.LinkedHashMap<>();
            both.put("train", files);
            both.put("test", files);
            ingest(new IdxImporter(both, null, Set.of(), Map.of()), store, tmp.resolve("s1"), 1 << 20, false);
            Manifest before = Dataset.open(store).manifest();
            ingest(new IdxImporter(Map.of("test", files), null, Set.of(), Map.of()), store, tmp.resolve("s2"), 1 << 20,
                    true);
            Manifest after = Dataset.open(store).manifest();
            assertEquals(before.split("train"), after.split("train"));
            assertFalse(store.exists(before.split("test").shards().get(0).key()), "superseded shard deleted");
            assertEquals(3, store.list("").size(), "manifest + train shard + new test shard");
        }
    }

    static byte[] gunzip(Path p) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(p)); ByteArrayOutputStream out =
                new ByteArrayOutputStream()) {
            in.transferTo(out);
            return out.toByteArray();
        }
    }

    @Test
    void idxPathsMayContainCommasWhenOnlyOneCutNamesTwoFiles() throws IOException {
        Path images = tmp.resolve("fashion,v2-images");
        Path labels = tmp.resolve("labels,train");
        writeIdx(images, labels, 12, 5, 4, false);
        Sources.Options so = new Sources.Options("train", null, null, 0, dev.sluice.data.store.StoreOptions.defaults());
        try (Importer imp = Sources.open("idx:" + images + "," + labels, so)) {
            assertEquals(12, imp.count("train"));
        }
        InputException missing = assertThrows(InputException.class,
                () -> Sources.open("idx:" + images + "," + tmp.resolve("nope,labels"), so).close());
        assertTrue(missing.getMessage().contains("no pair of existing files"), missing.getMessage());
        InputException plain = assertThrows(InputException.class,
                () -> Sources.open("idx:" + images + "x," + labels, so).close());
        assertTrue(plain.getMessage().contains("no pair"), plain.getMessage());
        Path plainName = tmp.resolve("plain-labels");
        java.nio.file.Files.copy(labels, plainName);
        for (String oneSided : List.of("idx:" + plainName + ",", "idx:, " + plainName)) {
            InputException e = assertThrows(InputException.class, () -> Sources.open(oneSided, so).close());
            assertTrue(e.getMessage().contains("needs two files"), oneSided + ": " + e.getMessage());
        }
    }
}
