package dev.sluice.data.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
}
