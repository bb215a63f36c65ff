package dev.sluice.data.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.adobe.testing.s3mock.junit5.S3MockExtension;
import dev.sluice.data.format.Dataset;
import dev.sluice.data.format.Manifest;
import dev.sluice.data.format.ShardInfo;
import dev.sluice.data.store.ObjectInfo;
import dev.sluice.data.store.ObjectStore;
import dev.sluice.data.store.S3TestSupport;
import dev.sluice.data.store.StoreOptions;
import dev.sluice.data.store.Stores;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** WebDataset tars read from S3 and a dataset written to S3 (S3Mock, the real protocol on 127.0.0.1). */
class S3IngestTest {

    @RegisterExtension
    static final S3MockExtension S3 = S3TestSupport.s3Mock();

    @TempDir
    Path tmp;

    @Test
    void tarsFromS3IntoADatasetOnS3() throws Exception {
        StoreOptions opts = S3TestSupport.options(S3TestSupport.endpoint(S3));
        String bucket = "s3://" + S3TestSupport.BUCKET;
        List<List<WebDatasetIngestTest.Member>> all = new ArrayList<>();
        try (ObjectStore src = Stores.open(bucket + "/wds", opts)) {
            for (int t = 0; t < 3; t++) {
                List<List<WebDatasetIngestTest.Member>> s = WebDatasetIngestTest.samples(t, "");
                all.addAll(s);
                Path tar = tmp.resolve(t + ".tar");
                WebDatasetIngestTest.commonsTar(tar, s);
                src.put(String.format("shard-%02d.tar", t), Files.readAllBytes(tar));
            }
        }
        Sources.Options so = new Sources.Options("train", null, null, 0, opts);
        try (Importer imp = Sources.open("wds:" + bucket + "/wds/shard-{00..02}.tar", so);
             ObjectStore out = Stores.open(bucket + "/ds", opts)) {
            Ingest.Result r = new Ingest(imp, out, Ingest.Options.defaults("s3", tmp.resolve("st")).withShardBytes(10_000)).run();
            assertTrue(r.manifest().split("train").shards().size() > 2);
            assertFalse(out.exists(IngestJournal.KEY), "journal deleted at commit");
            List<String> keys = out.list("").stream().map(ObjectInfo::key).sorted().toList();
            List<String> named = new ArrayList<>(r.manifest().split("train").shards().stream().map(ShardInfo::key).toList());
            named.add(Manifest.KEY);
            assertEquals(named.stream().sorted().toList(), keys, "only the manifest and its shards");
            Dataset d = Dataset.open(out);
            assertEquals(all.size(), d.manifest().split("train").samples());
            assertEquals("wds:" + bucket + "/wds/shard-{00..02}.tar", d.manifest().metadata().get("source.train"));
            for (int i = 0; i < all.size(); i++) {
                assertArrayEquals(all.get(i).get(1).bytes(), ImageFolderIngestTest.bytes(d.readValue("train", i, 2)));
                assertArrayEquals(all.get(i).get(2).bytes(), ImageFolderIngestTest.bytes(d.readValue("train", i, 3)));
            }
        }
    }

    /** Writes an image folder locally and the same files below {@code s3://BUCKET/<prefix>/}; returns the keys. */
    private List<String> writeFolder(Path local, ObjectStore s3) throws Exception {
        // class names out of order, one ("cat-2") sorting between "cat" and "cat/" keys; a nested
        // directory ("b/") whose keys sort after "b-d.jpg" ('-' < '/'); a hidden file and a text file
        List<String> keys = List.of("train/zebra/1.jpg", "train/cat/a.jpg", "train/cat/b/c.jpg", "train/cat/b-d.jpg",
                "train/cat-2/x.png", "train/dog/.DS_Store", "train/dog/notes.txt", "train/dog/2.jpg",
                "val/cat/v.jpg", "val/zebra/w.jpg");
        int seed = 0;
        for (String k : keys) {
            byte[] b = k.endsWith(".jpg") ? TestImages.encode("jpeg", 12 + seed, 10, seed)
                    : k.endsWith(".png") ? TestImages.encode("png", 9, 9, seed) : ("text " + k).getBytes();
            seed++;
            Path f = local.resolve(k);
            Files.createDirectories(f.getParent());
            Files.write(f, b);
            s3.put(k, b);
        }
        return keys;
    }

    @Test
    void imageFolderFromS3EqualsItsFilesInKeyOrderAndTheLocalIngestOfTheSameFolder() throws Exception {
        StoreOptions opts = S3TestSupport.options(S3TestSupport.endpoint(S3));
        String root = "s3://" + S3TestSupport.BUCKET + "/imgs";
        Path local = tmp.resolve("imgs");
        try (ObjectStore src = Stores.open(root, opts)) {
            writeFolder(local, src);
        }
        Sources.Options so = new Sources.Options("all", null, null, 0, opts);
        Ingest.Result fromS3;
        Ingest.Result fromDisk;
        try (Importer imp = Sources.open("imagefolder:" + root, so);
             ObjectStore out = new dev.sluice.data.store.FileStore(tmp.resolve("ds-s3"))) {
            fromS3 = new Ingest(imp, out, Ingest.Options.defaults("s3", tmp.resolve("st1")).withShardBytes(2_000)).run();
        }
        try (Importer imp = Sources.open("imagefolder:" + local, so);
             ObjectStore out = new dev.sluice.data.store.FileStore(tmp.resolve("ds-local"))) {
            fromDisk = new Ingest(imp, out, Ingest.Options.defaults("local", tmp.resolve("st2")).withShardBytes(2_000)).run();
        }
        Manifest m = fromS3.manifest();
        assertEquals(List.of("cat", "cat-2", "dog", "zebra"), m.schema().field("label").classes());
        assertEquals(1, fromS3.skipped(), "notes.txt is skipped and counted; .DS_Store is not an input");
        assertTrue(fromS3.skippedExamples().get(0).contains(root + "/train/dog/notes.txt"), fromS3.skippedExamples().toString());
        assertEquals("imagefolder:" + root + "/train", m.metadata().get("source.train"));
        // expected order worked by hand: classes by name, keys by code point within a class
        Map<String, List<String>> expect = Map.of(
                "train", List.of("train/cat/a.jpg", "train/cat/b-d.jpg", "train/cat/b/c.jpg", "train/cat-2/x.png",
                        "train/dog/2.jpg", "train/zebra/1.jpg"),
                "val", List.of("val/cat/v.jpg", "val/zebra/w.jpg"));
        List<Long> labels = List.of(0L, 0L, 0L, 1L, 2L, 3L);
        try (ObjectStore a = new dev.sluice.data.store.FileStore(tmp.resolve("ds-s3"));
             ObjectStore b = new dev.sluice.data.store.FileStore(tmp.resolve("ds-local"))) {
            Dataset s3 = Dataset.open(a);
            Dataset disk = Dataset.open(b);
            assertTrue(s3.manifest().split("train").shards().size() > 1, "several shards");
            for (Map.Entry<String, List<String>> e : expect.entrySet()) {
                assertEquals(e.getValue().size(), s3.manifest().split(e.getKey()).samples());
                assertEquals(e.getValue().size(), disk.manifest().split(e.getKey()).samples());
                for (int i = 0; i < e.getValue().size(); i++) {
                    byte[] file = Files.readAllBytes(local.resolve(e.getValue().get(i)));
                    assertArrayEquals(file, ImageFolderIngestTest.bytes(s3.readValue(e.getKey(), i, 0)), e.getValue().get(i));
                    assertArrayEquals(file, ImageFolderIngestTest.bytes(disk.readValue(e.getKey(), i, 0)), e.getValue().get(i));
                    long label = s3.readValue(e.getKey(), i, 1).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
                    assertEquals(disk.readValue(e.getKey(), i, 1).order(ByteOrder.LITTLE_ENDIAN).getLong(0), label);
                    if (e.getKey().equals("train")) {
                        assertEquals(labels.get(i), label, e.getValue().get(i));
                    }
                }
            }
        }
        assertEquals(fromDisk.manifest().schema(), m.schema());
    }

    @Test
    void anS3PrefixWithoutClassDirectoriesIsAClearErrorNamingIt() throws Exception {
        StoreOptions opts = S3TestSupport.options(S3TestSupport.endpoint(S3));
        String bucket = "s3://" + S3TestSupport.BUCKET;
        try (ObjectStore flat = Stores.open(bucket + "/flat", opts)) {
            flat.put("1.jpg", TestImages.encode("jpeg", 8, 8, 1));
            flat.put("2.jpg", TestImages.encode("jpeg", 8, 8, 2));
        }
        Sources.Options so = new Sources.Options("train", null, null, 0, opts);
        for (String root : List.of(bucket + "/flat", bucket + "/nothing-here")) {
            InputException e = assertThrows(InputException.class, () -> Sources.open("imagefolder:" + root, so).close());
            assertTrue(e.getMessage().startsWith(root + ": no class directories"), e.getMessage());
            assertTrue(e.getMessage().contains("s3://bucket/prefix"), e.getMessage());
        }
    }
}
